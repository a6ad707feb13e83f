package pulls

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/storage"
)

// A repository with an image tag, an index tag (two platforms, one of
// them an index itself), a tag sharing the image's manifest, and a tag
// never pulled; pulls by tag, by digest and by a child at depth two.
func TestLastPull(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 12, d, 12, 0, 0, 0, time.UTC) }
	image, index, amd, nested, arm := digestN(1), digestN(2), digestN(3), digestN(4), digestN(5)
	h := New()
	h.Add(Event{Repository: "team/app", Tag: "v1", Time: day(1)})
	h.Add(Event{Repository: "team/app", Digest: image, Time: day(3)})
	h.Add(Event{Repository: "team/app", Tag: "multi", Time: day(2)})
	h.Add(Event{Repository: "team/app", Digest: arm, Time: day(4)})
	h.Add(Event{Repository: "team/app", Tag: "old", Time: day(9)})
	h.Add(Event{Repository: "other", Digest: amd, Time: day(20)})
	tags := []Tag{
		{Name: "v1", Digest: image},
		{Name: "also-v1", Digest: image},
		{Name: "multi", Digest: index, Children: []storage.Digest{amd, nested, arm}},
		{Name: "platform", Digest: amd},
		{Name: "old", Digest: digestN(6)},
		{Name: "broken"},
	}
	var got []string
	for i, lp := range h.LastPulls("team/app", tags) {
		when := "-"
		if !lp.Time.IsZero() {
			when = lp.Time.Format(time.DateOnly)
		}
		got = append(got, fmt.Sprintf("%s: %s %s", tags[i].Name, when, lp))
	}
	want := []string{
		"v1: 2026-12-03 by digest " + image.Short(),
		"also-v1: 2026-12-03 by digest " + image.Short(),
		"multi: 2026-12-04 by " + arm.Short() + " in its index",
		"platform: - never",
		"old: 2026-12-09 by tag",
		"broken: - never",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if lp := h.LastPull("nowhere", tags[0]); lp.Via != Never || !lp.Time.IsZero() {
		t.Errorf("unknown repository: %+v", lp)
	}
	// Equal times: by tag first, then by digest, then by child.
	h.Add(Event{Repository: "team/app", Tag: "multi", Time: day(4)})
	h.Add(Event{Repository: "team/app", Digest: index, Time: day(4)})
	if lp := h.LastPull("team/app", tags[2]); lp.Via != ByTag {
		t.Errorf("tie: %s, want by tag", lp)
	}
}
