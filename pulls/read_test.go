package pulls

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// String is an event as the tests compare them:
// repository[:tag][@sha256:<12 hex>] at HH:MM:SS.
func (e Event) String() string {
	s := e.Repository
	if e.Tag != "" {
		s += ":" + e.Tag
	}
	if !e.Digest.IsZero() {
		s += "@" + e.Digest.Short()
	}
	return s + " " + e.Time.Format(time.TimeOnly)
}

func readString(t *testing.T, in string, opts Options) ([]string, Stats) {
	t.Helper()
	return readBytes(t, []byte(in), opts)
}

func readBytes(t *testing.T, in []byte, opts Options) ([]string, Stats) {
	t.Helper()
	var got []string
	st, err := Read(bytes.NewReader(in), opts, func(e Event) { got = append(got, e.String()) })
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return got, st
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// twice lists each pull twice: the registry logs a request in its logrus
// line and in its access-log line.
func twice(events ...string) []string {
	var out []string
	for _, e := range events {
		out = append(out, e, e)
	}
	return out
}

// skips renders the non-zero skip counts, "reason=n" in Reason order.
func skips(st Stats) string {
	var parts []string
	for _, r := range Reasons() {
		if n := st.Skipped[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", r, n))
		}
	}
	return strings.Join(parts, " ")
}

// The captured logs (testdata/registry-3.1.2-*) come from registry v3.1.2
// run on loopback (log.level info, formatter text or json, a notification
// endpoint), by a client that pushed team/app:v1 (an image) and
// team/multi:v2 (an index of two platforms), then: resolved and fetched
// team/app:v1 (HEAD and GET), fetched it by digest, fetched team/multi:v2
// for linux/arm64 (the index, then the child by digest), missed
// team/app:nope, made a conditional GET answered 304, fetched by
// sha256%3A<hex> and through team%2Fapp, resolved with ?ns=docker.io, asked
// for a tag with a space (404, answered by the router: access log only)
// and listed tags.
func TestReadRegistryLogs(t *testing.T) {
	const first, last = "10:35:42", "10:35:47"
	for _, tc := range []struct {
		file, image, child string
	}{
		{"testdata/registry-3.1.2-text.log", "sha256:8b4871d4dce0", "sha256:f6bb8d85fb0c"},
		{"testdata/registry-3.1.2-json.log", "sha256:18638226acbf", "sha256:30ead92335fc"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, st := readBytes(t, readFile(t, tc.file), Options{})
			at := " 10:35:45"
			want := twice("team/app:v1"+at, "team/app:v1"+at, "team/app@"+tc.image+at,
				"team/multi:v2"+at, "team/multi@"+tc.child+at,
				"team/app:v1"+at, "team/app@"+tc.image+at, "team/app:v1"+at, "team/app:v1"+at)
			if !slices.Equal(got, want) {
				t.Errorf("pulls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			wantSkips := "not a request=6 other endpoint=74 other method=8 failed request=11"
			if s := skips(st); s != wantSkips || st.Lines != 117 || st.Pulls != 18 {
				t.Errorf("lines %d pulls %d skipped %s; want 117 18 %s", st.Lines, st.Pulls, s, wantSkips)
			}
			if len(st.Covered) != 1 || st.Covered[0].Start.Format(time.TimeOnly) != first || st.Covered[0].End.Format(time.TimeOnly) != last {
				t.Errorf("covered %v, want %s to %s", st.Covered, first, last)
			}
		})
	}
}

// The notifications the text registry sent, as its endpoint received them
// (indented envelopes, one event each).
func TestReadNotifications(t *testing.T) {
	body := readFile(t, "testdata/registry-3.1.2-notifications.json")
	const image, index, child, at = "@sha256:8b4871d4dce0", "@sha256:98164e09555c", "@sha256:f6bb8d85fb0c", " 10:35:45"
	want := []string{"team/app:v1" + image + at, "team/app:v1" + image + at, "team/app" + image + at,
		"team/multi:v2" + index + at, "team/multi" + child + at,
		"team/app" + image + at, "team/app:v1" + image + at, "team/app:v1" + image + at}
	got, st := readBytes(t, body, Options{})
	if !slices.Equal(got, want) || skips(st) != "other event=12" {
		t.Errorf("pulls:\n%s\nskipped %s\nwant:\n%s\nskipped other event=12", strings.Join(got, "\n"), skips(st), strings.Join(want, "\n"))
	}
	// Archived compactly, one envelope a line, or one event a line.
	var envelopes, events bytes.Buffer
	for _, doc := range splitDocuments(t, body) {
		envelopes.WriteString(doc + "\n")
		for _, e := range eventsOf(t, doc) {
			events.WriteString(e + "\n")
		}
	}
	for name, in := range map[string][]byte{"envelopes": envelopes.Bytes(), "events": events.Bytes()} {
		got, st := readBytes(t, in, Options{})
		if !slices.Equal(got, want) || skips(st) != "other event=12" {
			t.Errorf("%s a line: pulls:\n%s\nskipped %s", name, strings.Join(got, "\n"), skips(st))
		}
	}
}

func TestReadKubectlTimestamps(t *testing.T) {
	text := readFile(t, "testdata/registry-3.1.2-text.log")
	notes := readFile(t, "testdata/registry-3.1.2-notifications.json")
	for name, in := range map[string][]byte{"text": text, "notifications": notes} {
		want, wantSt := readBytes(t, in, Options{})
		// kubectl prefixes each line with the time the runtime read it.
		var prefixed bytes.Buffer
		for i, l := range strings.SplitAfter(string(in), "\n") {
			if l != "" {
				fmt.Fprintf(&prefixed, "2026-12-02T10:%02d:%02d.%09dZ %s", 30+i/60, i%60, i, l)
			}
		}
		got, st := readBytes(t, prefixed.Bytes(), Options{})
		if !slices.Equal(got, want) || skips(st) != skips(wantSt) {
			t.Errorf("%s with --timestamps: pulls %v skipped %s; want %v %s", name, got, skips(st), want, skips(wantSt))
		}
		// The prefixes count for coverage: the first is 10:30:00.
		if st.First.Format(time.TimeOnly) != "10:30:00" {
			t.Errorf("%s: first time %v, want the first prefix 10:30:00", name, st.First)
		}
	}
	// A line with no time of its own takes the prefix's.
	got, _ := readString(t, `2026-12-02T10:30:05.5Z 10.0.0.1 - - [bad] "GET /v2/a/manifests/v1 HTTP/1.1" 200 1`+"\n"+
		`2026-12-02T10:30:06Z {"level":"info","http.request.method":"GET","http.request.uri":"/v2/a/manifests/v2","http.response.status":200}`+"\n", Options{})
	if want := []string{"a:v2 10:30:06"}; !slices.Equal(got, want) {
		t.Errorf("pulls %v, want %v (the access line without a readable time is unrecognised)", got, want)
	}
}

func TestReadGzip(t *testing.T) {
	text := readFile(t, "testdata/registry-3.1.2-text.log")
	want, wantSt := readBytes(t, text, Options{})
	// Two gzip members, as zcat reads concatenated .gz files.
	var gz bytes.Buffer
	for _, part := range [][]byte{text[:len(text)/2], text[len(text)/2:]} {
		zw := gzip.NewWriter(&gz)
		zw.Write(part)
		zw.Close()
	}
	got, st := readBytes(t, gz.Bytes(), Options{})
	if !slices.Equal(got, want) || st.Lines != wantSt.Lines || st.Bytes != wantSt.Bytes {
		t.Errorf("gzip: %d pulls %d lines, want %d %d", len(got), st.Lines, len(want), wantSt.Lines)
	}
	// A truncated gzip stream is an error, with what was read so far.
	_, err := Read(bytes.NewReader(gz.Bytes()[:gz.Len()-10]), Options{}, func(Event) {})
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("truncated gzip: %v, want unexpected EOF", err)
	}
	for name, magic := range map[string][]byte{"zstd": {0x28, 0xb5, 0x2f, 0xfd, 0, 0}, "xz": {0xfd, '7', 'z', 'X', 'Z', 0}} {
		_, err := Read(bytes.NewReader(magic), Options{}, func(Event) {})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an error naming it", name, err)
		}
	}
}
