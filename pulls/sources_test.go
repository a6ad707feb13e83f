package pulls

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// kubectl logs -l app=registry --prefix --timestamps: two replicas, the
// second started an hour later; the stream covers only what both cover.
func TestReadReplicas(t *testing.T) {
	var in strings.Builder
	line := func(pod string, hh, mm int, uri string) {
		fmt.Fprintf(&in, "[pod/%s/registry] 2026-12-02T%02d:%02d:00.5Z 10.0.0.1 - - [02/Dec/2026:%02d:%02d:00 +0000] \"GET %s HTTP/1.1\" 200 1 \"\" \"\"\n", pod, hh, mm, hh, mm, uri)
	}
	for m := 0; m <= 120; m += 10 {
		line("registry-a", 10+m/60, m%60, "/v2/")
		if m >= 60 {
			line("registry-b", 10+m/60, m%60, "/v2/")
		}
	}
	line("registry-b", 11, 30, "/v2/b/manifests/v1")
	line("registry-a", 10, 30, "/v2/a/manifests/v1")
	fmt.Fprintf(&in, "[pod/registry-b/registry] 2026-12-02T11:45:00Z {\n[pod/registry-b/registry] 2026-12-02T11:45:00Z   \"events\": [{\"action\":\"pull\",\"timestamp\":\"2026-12-02T11:44:00Z\",\"target\":{\"repository\":\"c\",\"tag\":\"v1\"}}]\n[pod/registry-b/registry] 2026-12-02T11:45:00Z }\n")
	got, st := readString(t, in.String(), Options{})
	if want := []string{"b:v1 11:30:00", "a:v1 10:30:00", "c:v1 11:44:00"}; !slices.Equal(got, want) {
		t.Errorf("pulls %v, want %v", got, want)
	}
	if r := ranges(st.Covered); r != "[11:00:00-12:00:00]" {
		t.Errorf("covered %s, want the time both replicas' logs cover, 11:00:00-12:00:00", r)
	}
	if st.First.Format("15:04") != "10:00" {
		t.Errorf("first %v", st.First)
	}
}

func TestSourcePrefix(t *testing.T) {
	for _, tc := range []struct{ in, source, rest string }{
		{"[pod/registry-a/registry] x", "pod/registry-a/registry", "x"},
		{"[pod/a/b/c] x", "", "[pod/a/b/c] x"},
		{"[pod/a b/c] x", "", "[pod/a b/c] x"},
		{"[pod/a/b]x", "", "[pod/a/b]x"},
		{"[02/Dec/2026:06:59:51 +0000] x", "", "[02/Dec/2026:06:59:51 +0000] x"},
	} {
		source, rest, _ := sourcePrefix([]byte(tc.in))
		if string(source) != tc.source || string(rest) != tc.rest {
			t.Errorf("%q: %q %q, want %q %q", tc.in, source, rest, tc.source, tc.rest)
		}
	}
}

func TestIntersect(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		a, b := randomSpans(r), randomSpans(r)
		got := intersect(a, b)
		var want []span
		for x := int64(-1); x < 80; x++ {
			in := func(ss []span) bool {
				return slices.ContainsFunc(ss, func(s span) bool { return x >= s.start && x <= s.end })
			}
			if in(a) && in(b) {
				if n := len(want); n > 0 && want[n-1].end == x-1 {
					want[n-1].end = x
				} else {
					want = append(want, span{x, x})
				}
			}
		}
		if !slices.Equal(mergeSpans(slices.Clone(got)), want) {
			t.Fatalf("intersect(%v, %v) = %v, want %v", a, b, got, want)
		}
	}
}
