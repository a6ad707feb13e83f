package pulls

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

const hexA = "8b4871d4dce08b30a7c9948bdcbb9a48afe1bb22597a42d5ef21c76210abdb5b"

// accessLine is a line of the registry's access log for a request.
func accessLine(method, uri string, status int) string {
	return fmt.Sprintf(`127.0.0.1 - - [02/Dec/2026:06:59:51 +0000] "%s %s HTTP/1.1" %d 423 "" "crane/v0.22.1"`, method, uri, status)
}

// One request line, judged.
func TestReadRequests(t *testing.T) {
	for _, tc := range []struct {
		method, uri string
		status      int
		want        string // the event, or the reason
	}{
		{"GET", "/v2/team/app/manifests/v1", 200, "team/app:v1"},
		{"HEAD", "/v2/team/app/manifests/v1", 200, "team/app:v1"},
		{"GET", "/v2/team/app/manifests/v1", 304, "team/app:v1"},
		{"GET", "/v2/team/app/manifests/v1", 206, "team/app:v1"},
		{"GET", "/v2/team/app/manifests/sha256:" + hexA, 200, "team/app@sha256:8b4871d4dce0"},
		{"GET", "/v2/team/app/manifests/sha256%3A" + hexA, 200, "team/app@sha256:8b4871d4dce0"},
		{"GET", "/v2/team%2Fapp/manifests/v1", 200, "team/app:v1"},
		{"GET", "/v2/team/app/%6Danifests/v1", 200, "team/app:v1"},
		{"GET", "/v2/team/app/manifests/v1?ns=docker.io", 200, "team/app:v1"},
		{"GET", "http://registry.example.com:5000/v2/team/app/manifests/v1", 200, "team/app:v1"},
		{"GET", "/v2/a/manifests/b/manifests/v1", 200, "a/manifests/b:v1"},
		{"GET", "/v2/localhost:5000/app/manifests/v1", 200, "localhost:5000/app:v1"},
		{"GET", "/v2/library/nginx/manifests/1.25.3-alpine", 200, "library/nginx:1.25.3-alpine"},
		{"GET", "/v2/team/app/manifests/v1", 301, "failed request"},
		{"GET", "/v2/team/app/manifests/v1", 404, "failed request"},
		{"GET", "/v2/team/app/manifests/v1", 500, "failed request"},
		{"PUT", "/v2/team/app/manifests/v1", 201, "other method"},
		{"DELETE", "/v2/team/app/manifests/sha256:" + hexA, 202, "other method"},
		{"get", "/v2/team/app/manifests/v1", 200, "other method"},
		{"GET", "/v2/team/app/blobs/sha256:" + hexA, 200, "other endpoint"},
		{"GET", "/v2/team/app/tags/list", 200, "other endpoint"},
		{"GET", "/v2/", 200, "other endpoint"},
		{"GET", "/v2/_catalog", 200, "other endpoint"},
		{"GET", "/v2/team/app/manifests/", 404, "other endpoint"},
		{"GET", "/v2/team/app/manifests/a/b", 404, "other endpoint"},
		{"GET", "/v1/team/app/manifests/v1", 200, "other endpoint"},
		{"GET", "/v2/team/app/manifests/v1%", 200, "malformed"},
		{"GET", "/v2/team/app/manifests/v1%zz", 200, "malformed"},
		{"GET", "/v2/Team/App/manifests/v1", 200, "bad name"},
		{"GET", "/v2/team//app/manifests/v1", 200, "bad name"},
		{"GET", "/v2/team/../app/manifests/v1", 200, "bad name"},
		{"GET", "/v2/team/_app/manifests/v1", 200, "bad name"},
		{"GET", "/v2/team/app/manifests/.v1", 200, "bad name"},
		{"GET", "/v2/team/app/manifests/" + strings.Repeat("x", 129), 200, "bad name"},
		{"GET", "/v2/team/app/manifests/v1%20x", 200, "bad name"},
		{"GET", "/v2/team/app/manifests/sha256:" + strings.ToUpper(hexA), 200, "bad digest"},
		{"GET", "/v2/team/app/manifests/sha256:" + hexA[:63], 200, "bad digest"},
		{"GET", "/v2/team/app/manifests/sha512:" + hexA + hexA, 200, "non-sha256 digest"},
		{"GET", "/v2/team/app/manifests/:" + hexA, 200, "bad digest"},
	} {
		line := accessLine(tc.method, tc.uri, tc.status)
		got, st := readString(t, line, Options{})
		verdict := strings.Join(got, ",")
		if len(got) == 0 {
			verdict = skips(st)
			verdict = verdict[:strings.LastIndexByte(verdict, '=')]
		} else {
			verdict = strings.TrimSuffix(verdict, " 06:59:51")
		}
		if verdict != tc.want {
			t.Errorf("%s %s %d: %s, want %s", tc.method, tc.uri, tc.status, verdict, tc.want)
		}
	}
}

// Access-log variants: nginx and ingress-nginx in front of the registry.
func TestReadAccessVariants(t *testing.T) {
	for _, tc := range []struct {
		line, want string
	}{
		// ingress-nginx's default format: extra fields after the agent.
		{`10.0.0.7 - alice [02/Dec/2026:07:59:51 +0100] "GET /v2/team/app/manifests/v1 HTTP/2.0" 200 423 "-" "containerd/1.7.2" 512 0.003 [registry-registry-5000] [] 10.1.2.3:5000 423 0.003 200 4f1e`, "team/app:v1 06:59:51"},
		// nginx escapes a quote in the request as \x22.
		{`10.0.0.7 - - [02/Dec/2026:06:59:51 +0000] "GET /v2/team/app/manifests/v1\x22 HTTP/1.1" 404 0 "-" "x"`, "failed request"},
		{`10.0.0.7 - - [02/Dec/2026:06:59:51 +0000] "GET /v2/team/\x61pp/manifests/v1 HTTP/1.1" 200 0 "-" "x"`, "team/app:v1 06:59:51"},
		// IPv6 clients.
		{`::1 - - [02/Dec/2026:06:59:51 +0000] "HEAD /v2/team/app/manifests/v1 HTTP/1.1" 200 0 "" ""`, "team/app:v1 06:59:51"},
		// Not a request: TLS bytes on the plain port, nginx's "-".
		{`10.0.0.7 - - [02/Dec/2026:06:59:51 +0000] "\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03" 400 157 "-" "-"`, "other endpoint"},
		{`10.0.0.7 - - [02/Dec/2026:06:59:51 +0000] "-" 400 0 "-" "-"`, "other endpoint"},
		// A user name with spaces cannot pass a forged request off as the line's.
		{`10.0.0.7 - x [02/Dec/2030:00:00:00 +0000] "GET /v2/team/app/manifests/v1 HTTP/1.1" 200 1 "" "" y [02/Dec/2026:06:59:51 +0000] "GET http://x%20...@h/v2/ HTTP/1.1" 401 0 "" ""`, "malformed"},
		// The registry logs the user of an absolute-form URI as is.
		{`10.0.0.7 - a user [name] "x [02/Dec/2026:06:59:51 +0000] "GET /v2/team/app/manifests/v1 HTTP/1.1" 200 1 "" ""`, "team/app:v1 06:59:51"},
		{`10.0.0.7 - - [02/Dec/2026:06:59:51 +0000] "GET /v2/team/app/manifests/v1 HTTP/1.1" 2000 1`, "malformed"},
		{`10.0.0.7 - - [02/Dec/2026:06:59:51 +0000] "GET /v2/team/app/manifests/v1 HTTP/1.1`, "malformed"},
		{`10.0.0.7 - - [02/Dec/2026:06:59:51 +0000] "GET /v2/team/app/manifests/v1 HTTP/1.1" abc 1`, "malformed"},
		{`10.0.0.7 - - [2026-12-02T06:59:51Z] "GET /v2/team/app/manifests/v1 HTTP/1.1" 200 1`, "unrecognised"},
		{`[02/Dec/2026:06:59:51 +0000] "GET /v2/team/app/manifests/v1 HTTP/1.1" 200 1`, "unrecognised"},
	} {
		got, st := readString(t, tc.line+"\n", Options{})
		verdict := strings.Join(got, ",")
		if len(got) == 0 {
			verdict = skips(st)
			verdict = verdict[:strings.LastIndexByte(verdict, '=')]
		}
		if verdict != tc.want {
			t.Errorf("%s:\n%s, want %s", tc.line, verdict, tc.want)
		}
	}
}

// Logrus text: keys in any order, values quoted when they must be, with
// escapes; JSON: the same keys, escapes, the status as a number or string.
func TestReadLogrusVariants(t *testing.T) {
	for _, tc := range []struct {
		line, want string
	}{
		{`level=info http.response.status=200 http.request.uri=/v2/a/manifests/v1 msg="response completed" http.request.method=GET time="2026-12-02T06:59:52.053Z"`, "a:v1 06:59:52"},
		{`time="2026-12-02T06:59:52Z" level=info msg="response completed" http.request.method=HEAD http.request.uri="/v2/a/manifests/sha256:` + hexA + `" http.response.status=200`, "a@sha256:8b4871d4dce0 06:59:52"},
		{`time="2026-12-02T06:59:52Z" level=info msg="response completed" http.request.method=GET http.request.uri="/v2/a/manifests/v1?x=\"y\"" http.request.useragent="a \"quoted\" agent" http.response.status=200`, "a:v1 06:59:52"},
		{`time="2026-12-02T06:59:52Z" level=info msg="response completed" http.request.method=GET http.request.uri="/v2/\u0061/manifests/v1" http.response.status=200`, "a:v1 06:59:52"},
		{`time="2026-12-02T06:59:52Z" level=error msg="response completed with error" http.request.method=GET http.request.uri=/v2/a/manifests/v1 http.response.status=404`, "failed request"},
		{`time="2026-12-02T06:59:52Z" level=debug msg="authorizing request" http.request.method=GET http.request.uri=/v2/a/manifests/v1`, "not a request"},
		{`time="2026-12-02T06:59:52Z" level=info msg="response completed" http.request.uri=/v2/a/manifests/v1 http.response.status=200`, "malformed"},
		{`time="2026-12-02T06:59:52Z" level=info msg="response completed" http.request.method=GET http.request.uri=/v2/a/manifests/v1 http.response.status=2xx`, "malformed"},
		{`time="2026-12-02T06:59:52Z" level=info msg="unterminated`, "malformed"},
		{`time="2026-12-02T06:59:52Z" level=info msg="bad \q escape"`, "malformed"},
		{`level=info msg="response completed" http.request.method=GET http.request.uri=/v2/a/manifests/v1 http.response.status=200`, "no time"},
		{`foo=bar baz=1`, "unrecognised"},
		{`{"time":"2026-12-02T06:59:52.1Z","level":"info","msg":"response completed","http.request.method":"GET","http.request.uri":"/v2/a/manifests/v1","http.response.status":200}`, "a:v1 06:59:52"},
		{`{"@timestamp":"2026-12-02T06:59:52Z","message":"response completed","http.request.method":"GET","http.request.uri":"\/v2\/a\/manifests\/v1","http.response.status":"200"}`, "a:v1 06:59:52"},
		{`{"time":"2026-12-02T06:59:52Z","level":"info","http.request.method":"GET","http.request.uri":"/v2/a/manifests/v1","http.response.status":200,"nested":{"a":[1,"}",{"b":null}]}}`, "a:v1 06:59:52"},
		// registry 2.8's JSON formatter escapes & < > in HTML's way.
		{`{"time":"2026-12-02T06:59:52Z","level":"info","http.request.method":"GET","http.request.uri":"/v2/a/manifests/v1?x=1\u0026y=\u003c","http.response.status":200}`, "a:v1 06:59:52"},
		// registry 2.8's logstash formatter.
		{`{"@timestamp":"2026-12-02T06:59:52.1Z","@version":"1","level":"info","message":"response completed","http.request.method":"HEAD","http.request.uri":"/v2/a/manifests/v1","http.response.status":200}`, "a:v1 06:59:52"},
		{`{"time":"2026-12-02T06:59:52Z","level":"info","http.request.method":"GET","http.request.uri":"/v2/a/manifests/v1","http.response.status":200} trailing`, "malformed"},
		{`{"level":"info","msg":"x",}`, "malformed"},
		{`{"a":1}`, "unrecognised"},
		{`{}`, "unrecognised"},
		{`{"events":[]}`, "not a request"},
		{`{"events":[{"action":"pull","timestamp":"2026-12-02T06:59:52Z","target":{"repository":"a","url":"http://h/v2/a/blobs/sha256:` + hexA + `","digest":"sha256:` + hexA + `"}}]}`, "other event"},
		{`{"events":[{"action":"pull","timestamp":"2026-12-02T06:59:52Z","target":{"repository":"a","mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:` + hexA + `"}}]}`, "a@sha256:8b4871d4dce0 06:59:52"},
		{`{"events":[{"action":"pull","timestamp":"2026-12-02T06:59:52Z","target":{"repository":"a","tag":"v1","digest":"sha512:` + hexA + hexA + `"}}]}`, "a:v1 06:59:52"},
		{`{"events":[{"action":"pull","timestamp":"2026-12-02T06:59:52Z","target":{"repository":"a","url":"http://h/v2/a/manifests/x"}}]}`, "malformed"},
		{`{"events":[{"action":"pull","target":{"repository":"a","tag":"v1"}}]}`, "no time"},
		{`{"events":"no"}`, "unrecognised"},
		{`{"action":"delete","timestamp":"2026-12-02T06:59:52Z","target":{"repository":"a","tag":"v1"}}`, "other event"},
	} {
		got, st := readString(t, tc.line+"\n", Options{})
		verdict := strings.Join(got, ",")
		if len(got) == 0 {
			verdict = skips(st)
			verdict = verdict[:strings.LastIndexByte(verdict, '=')]
		}
		if verdict != tc.want {
			t.Errorf("%s:\n%s, want %s", tc.line, verdict, tc.want)
		}
	}
}

// A 10 MB line is skipped without being held; the lines around it are read.
func TestReadLongLine(t *testing.T) {
	line := accessLine("GET", "/v2/a/manifests/v1", 200) + "\n"
	huge := accessLine("GET", "/v2/b/manifests/"+strings.Repeat("x", 10<<20), 200) + "\n"
	in := []byte(line + huge + line + strings.Repeat("y", 3<<20))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, st := readBytes(t, in, Options{})
	runtime.ReadMemStats(&after)
	if want := []string{"a:v1 06:59:51", "a:v1 06:59:51"}; !slices.Equal(got, want) || skips(st) != "too long=2" || st.Lines != 4 || st.Bytes != int64(len(in)) {
		t.Errorf("pulls %v skipped %s lines %d bytes %d; want %v, too long=2, 4 lines, %d bytes", got, skips(st), st.Lines, st.Bytes, want, len(in))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("reading a 10 MB line allocated %d bytes; want it skipped within the 1 MiB limit", alloc)
	}
	// Just under the limit is read whole.
	uri := "/v2/a/manifests/v1?" + strings.Repeat("q", 100<<10)
	got, _ = readString(t, accessLine("GET", uri, 200)+"\n", Options{})
	if len(got) != 1 {
		t.Errorf("a 100 KiB line: %v, want read", got)
	}
}

func TestReadGarbage(t *testing.T) {
	in := "\x00\x01\x02binary\xff\xfe\n\n   \n{\"unclosed\n}}\nplain text\n" + accessLine("GET", "/v2/a/manifests/v1", 200) + "\r\n"
	got, st := readString(t, in, Options{})
	if want := []string{"a:v1 06:59:51"}; !slices.Equal(got, want) {
		t.Errorf("pulls %v, want %v", got, want)
	}
	if s := skips(st); s != "blank=2 unrecognised=3 malformed=1" {
		t.Errorf("skipped %s", s)
	}
}

// Indented documents: a stray "{" swallows no line after it.
func TestReadDocuments(t *testing.T) {
	event := `{"action":"pull","timestamp":"2026-12-02T06:59:52Z","target":{"repository":"a","tag":"v1"}}`
	indented := "{\n  \"events\": [\n    " + event + "\n  ]\n}\n"
	line := accessLine("GET", "/v2/b/manifests/v1", 200) + "\n"
	got, st := readString(t, "{\n"+line+indented+"{\n  \"x\": 1,\n", Options{})
	if want := []string{"b:v1 06:59:51", "a:v1 06:59:52"}; !slices.Equal(got, want) || skips(st) != "malformed=2" {
		t.Errorf("pulls %v skipped %s; want %v malformed=2", got, skips(st), want)
	}
}

func TestReadCoverage(t *testing.T) {
	at := func(hh, mm int, status int) string {
		return fmt.Sprintf(`127.0.0.1 - - [02/Dec/2026:%02d:%02d:00 +0000] "GET /v2/ HTTP/1.1" %d 0 "" ""`+"\n", hh, mm, status)
	}
	// Silences of more than MaxSilence cut the coverage.
	in := at(1, 0, 200) + at(1, 50, 200) + at(3, 30, 200) + at(4, 0, 200) + at(0, 30, 200)
	_, st := readString(t, in, Options{})
	want := "[00:30:00-01:50:00 03:30:00-04:00:00]"
	if got := ranges(st.Covered); got != want {
		t.Errorf("covered %s, want %s", got, want)
	}
	if got := st.First.Format(time.TimeOnly) + "-" + st.Last.Format(time.TimeOnly); got != "00:30:00-04:00:00" {
		t.Errorf("first-last %s", got)
	}
	_, st = readString(t, in, Options{MaxSilence: 2 * time.Hour})
	if got := ranges(st.Covered); got != "[00:30:00-04:00:00]" {
		t.Errorf("covered %s with 2h of silence allowed", got)
	}
	// A log of failures only proves nothing.
	_, st = readString(t, at(1, 0, 404)+at(2, 0, 500), Options{})
	if st.Covered != nil || st.First.IsZero() {
		t.Errorf("failures only: covered %v (first %v), want nothing", st.Covered, st.First)
	}
	// Lines past NotAfter are skipped and cover nothing.
	notAfter := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	got, st := readString(t, at(1, 0, 200)+accessLine("GET", "/v2/a/manifests/v1", 200)+"\n"+at(5, 0, 200), Options{NotAfter: notAfter})
	if len(got) != 0 || ranges(st.Covered) != "[01:00:00-01:00:00]" || skips(st) != "other endpoint=1 future time=2" {
		t.Errorf("NotAfter: pulls %v covered %s skipped %s", got, ranges(st.Covered), skips(st))
	}
}

func ranges(rs []Range) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.Start.Format(time.TimeOnly)+"-"+r.End.Format(time.TimeOnly))
	}
	return "[" + strings.Join(parts, " ") + "]"
}
