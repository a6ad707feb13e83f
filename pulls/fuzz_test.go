package pulls

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/regprune/regprune/storage"
)

var fuzzNotAfter = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

// checkRead reads in and checks what holds for any input: no panic, every
// event valid (a name and tag distribution accepts, a tag or a digest, a
// time in range), the counts adding up, coverage within the times seen.
func checkRead(t *testing.T, in []byte) []Event {
	var events []Event
	st, err := Read(bytes.NewReader(in), Options{NotAfter: fuzzNotAfter}, func(e Event) { events = append(events, e) })
	if err != nil && !errors.Is(err, storage.ErrBadLog) {
		t.Fatalf("error not wrapping storage.ErrBadLog: %v", err)
	}
	for _, e := range events {
		switch {
		case storage.ValidRepository(e.Repository) != nil:
			t.Fatalf("event with an invalid repository: %v", e)
		case e.Tag != "" && storage.ValidTag(e.Tag) != nil:
			t.Fatalf("event with an invalid tag: %v", e)
		case e.Tag == "" && e.Digest.IsZero():
			t.Fatalf("event with neither tag nor digest: %v", e)
		case !validTime(e.Time.Unix()) || e.Time.After(fuzzNotAfter):
			t.Fatalf("event with a time out of range: %v", e)
		}
	}
	if st.Pulls != int64(len(events)) {
		t.Fatalf("Pulls %d, %d events", st.Pulls, len(events))
	}
	if err == nil && st.Bytes != int64(len(in)) && in[0] != 0x1f {
		t.Fatalf("Bytes %d of %d", st.Bytes, len(in))
	}
	for i, r := range st.Covered {
		if r.Start.After(r.End) || r.Start.Before(st.First) || r.End.After(st.Last) || i > 0 && !r.Start.After(st.Covered[i-1].End) {
			t.Fatalf("covered %v outside %v-%v or unsorted", st.Covered, st.First, st.Last)
		}
	}
	return events
}

// fuzzLine checks one line: checkRead, and that the same line behind a
// kubectl --timestamps prefix gives the same pulls when it has its own time.
func fuzzLine(t *testing.T, line string) {
	events := checkRead(t, []byte(line))
	if strings.ContainsAny(line, "\r\n") || len(events) == 0 {
		return
	}
	prefixed := checkRead(t, []byte("2026-12-31T23:59:59.123456789Z "+line))
	if !slices.Equal(prefixed, events) {
		t.Fatalf("behind a kubectl prefix: %v, without: %v", prefixed, events)
	}
}

func FuzzAccessLine(f *testing.F) {
	for _, l := range strings.Split(string(readFile(f, "testdata/registry-3.1.2-text.log")), "\n") {
		if strings.Contains(l, "HTTP/1.1") {
			f.Add(l)
		}
	}
	f.Add(`10.0.0.7 - alice [02/Dec/2026:07:59:51 +0100] "GET /v2/team/app/manifests/v1 HTTP/2.0" 200 423 "-" "containerd/1.7.2" 512 0.003 [registry-registry-5000] [] 10.1.2.3:5000 423 0.003 200 4f1e`)
	f.Add(`10.0.0.7 - - [02/Dec/2026:06:59:51 +0000] "GET /v2/team/\x61pp/manifests/v1\x22 HTTP/1.1" 200 0 "-" "x"`)
	f.Fuzz(fuzzLine)
}

func FuzzLogrusText(f *testing.F) {
	for _, l := range strings.Split(string(readFile(f, "testdata/registry-3.1.2-text.log")), "\n") {
		if strings.HasPrefix(l, "time=") {
			f.Add(l)
		}
	}
	f.Fuzz(fuzzLine)
}

func FuzzLogrusJSON(f *testing.F) {
	for _, l := range strings.Split(string(readFile(f, "testdata/registry-3.1.2-json.log")), "\n") {
		if strings.HasPrefix(l, "{") {
			f.Add(l)
		}
	}
	f.Fuzz(fuzzLine)
}

func FuzzNotification(f *testing.F) {
	body := readFile(f, "testdata/registry-3.1.2-notifications.json")
	f.Add(string(body[:2000]))
	for _, doc := range splitDocuments(f, body) {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, s string) { checkRead(t, []byte(s)) })
}

// FuzzReadLog reads whole logs, mixed, with a kubectl prefix or gzip'd.
func FuzzReadLog(f *testing.F) {
	text := readFile(f, "testdata/registry-3.1.2-text.log")
	f.Add(text[:3000])
	f.Add(readFile(f, "testdata/registry-3.1.2-json.log")[:3000])
	f.Add(gzipped(string(text[:2000])))
	f.Add([]byte("2026-12-02T10:00:00Z {\n2026-12-02T10:00:01Z  \"events\": []\n2026-12-02T10:00:02Z }\n"))
	f.Add([]byte("[pod/r-a/registry] 2026-12-02T10:00:00Z 1.2.3.4 - - [02/Dec/2026:10:00:00 +0000] \"GET /v2/a/manifests/v1 HTTP/1.1\" 200 1\n" +
		"[pod/r-b/registry] 2026-12-02T10:00:01Z {\n[pod/r-b/registry] 2026-12-02T10:00:01Z }\n"))
	f.Fuzz(func(t *testing.T, in []byte) { checkRead(t, in) })
}

// FuzzManifestPath checks the URI reading against net/url, as the
// registry's server parses a request: where url.ParseRequestURI accepts a
// URI, a manifest request's name and reference are its decoded path's.
func FuzzManifestPath(f *testing.F) {
	for _, u := range []string{"/v2/team/app/manifests/v1", "/v2/team%2Fapp/manifests/sha256%3Aab?x=1",
		"http://h:5000/v2/a/manifests/b/manifests/c#f", "/v2/a/%6Danifests/v1", "/v2//manifests/x",
		"HTTPS://u@h/v2/a/manifests/v1", "http:/v2/a/manifests/v1", "//h/v2/a/manifests/v1", "x:opaque"} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		var scratch []byte
		name, ref, ok, bad := manifestPath([]byte(uri), &scratch)
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			return
		}
		if bad {
			t.Fatalf("%q: malformed here, net/url reads path %q", uri, u.Path)
		}
		wantOK := false
		var wantName, wantRef string
		if rest, found := strings.CutPrefix(u.Path, "/v2/"); found {
			if i := strings.LastIndex(rest, "/manifests/"); i >= 0 {
				wantName, wantRef = rest[:i], rest[i+len("/manifests/"):]
				wantOK = wantName != "" && wantRef != "" && !strings.Contains(wantRef, "/")
			}
		}
		if ok != wantOK || ok && (string(name) != wantName || string(ref) != wantRef) {
			t.Fatalf("%q: %q %q %v; net/url: %q %q %v", uri, name, ref, ok, wantName, wantRef, wantOK)
		}
	})
}

// FuzzScanJSON checks the JSON scanner against encoding/json: where it
// reads a line as an object, the scanner reads it too, with the same
// values for the keys Read uses.
func FuzzScanJSON(f *testing.F) {
	for _, l := range strings.Split(string(readFile(f, "testdata/registry-3.1.2-json.log")), "\n")[:20] {
		f.Add(l)
	}
	f.Add(`{"time":"x\u00e9\ud83d\ude00\ud800","http.request.uri":"\/v2\/a","http.response.status":200,"n":{"a":[1,"}"]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var f fields
		ok := scanJSON([]byte(s), &f)
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil || m == nil {
			return
		}
		if !ok {
			t.Fatalf("%q: encoding/json reads an object, scanJSON does not", s)
		}
		if !utf8.ValidString(s) {
			return
		}
		for key, got := range map[string][]byte{"time": f.time, "http.request.method": f.method, "http.request.uri": f.uri} {
			want, isString := m[key].(string)
			if _, isAt := m["@timestamp"]; key == "time" && isAt {
				continue
			}
			if isString && string(got) != want || !isString && got != nil {
				t.Fatalf("%q: %s = %q, encoding/json %q", s, key, got, m[key])
			}
		}
	})
}
