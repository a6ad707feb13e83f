package regtest

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// combined matches an access log line (combined format) of GET uri
// answered 200.
func combined(uri string) func(string) bool {
	re := regexp.MustCompile(`^\S+ - \S+ \[[^\]]+\] "GET ` + regexp.QuoteMeta(uri) + ` HTTP/1\.1" 200 \d+ "[^"]*" "[^"]*"$`)
	return re.MatchString
}

// completedText matches a logrus text line of a GET of repo's manifest
// ref answered 200. logrus quotes a value holding other characters than
// letters, digits and -._/@^+ (a digest's ':'), so both forms are taken.
func completedText(repo, ref string) func(string) bool {
	return func(l string) bool {
		l += " "
		has := func(k, v string) bool {
			return strings.Contains(l, " "+k+"="+v+" ") || strings.Contains(l, " "+k+"=\""+v+"\" ")
		}
		return has("level", "info") && has("msg", "response completed") && has("http.request.method", "GET") &&
			has("http.request.uri", "/v2/"+repo+"/manifests/"+ref) && has("http.response.status", "200") &&
			has("vars.name", repo) && has("vars.reference", ref)
	}
}

// completedJSON matches the same request in a JSON log line.
func completedJSON(repo, ref string) func(string) bool {
	return func(l string) bool {
		var e map[string]any
		if json.Unmarshal([]byte(l), &e) != nil {
			return false
		}
		return e["level"] == "info" && e["msg"] == "response completed" && e["http.request.method"] == "GET" &&
			e["http.request.uri"] == "/v2/"+repo+"/manifests/"+ref && e["http.response.status"] == float64(200) &&
			e["vars.name"] == repo && e["vars.reference"] == ref
	}
}

// TestServe pushes an image to a `registry serve` of RegistryVersion,
// pulls it by tag and by digest, and finds both pulls in its log (text
// and JSON), in its access log, and in its notifications; then deletes
// the tag through the API.
func TestServe(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			s := Serve(t, ServeOptions{JSON: format == "json", AccessLog: true, Notify: true})
			img := s.PushImage(t, "team/app:v1")
			d := DigestOf(t, img).String()
			s.AssertWhole(t, "team/app:v1")
			s.AssertWhole(t, "team/app@"+d)

			completed := completedText
			if format == "json" {
				completed = completedJSON
			}
			for _, ref := range []string{"v1", d} {
				s.Log.WaitFor(t, 1, completed("team/app", ref))
				s.Log.WaitFor(t, 1, combined("/v2/team/app/manifests/"+ref))
			}
			byTag := s.Events.WaitFor(t, 1, func(e Event) bool {
				return e.Action == "pull" && e.Target.Repository == "team/app" && e.Target.Tag == "v1"
			})
			if byTag[0].Target.Digest != d || byTag[0].Request.Method != "GET" {
				t.Errorf("pull by tag: event %+v, want digest %s by GET", byTag[0], d)
			}
			s.Events.WaitFor(t, 1, func(e Event) bool {
				return e.Action == "pull" && e.Target.Repository == "team/app" && e.Target.Digest == d && e.Target.Tag == ""
			})

			s.DeleteTag(t, "team/app", "v1")
			s.AssertGone(t, "team/app:v1")
			s.AssertWhole(t, "team/app@"+d)
			AssertMissing(t, TagDir(s.Root, "team/app", "v1"))
			AssertExists(t, RevisionLink(s.Root, "team/app", DigestOf(t, img)))
		})
	}
}

// TestServeQuiet: without the access log the registry writes no combined
// line; Stop ends the process and leaves the whole log in LogFile.
func TestServeQuiet(t *testing.T) {
	t.Parallel()
	s := Serve(t, ServeOptions{})
	s.PushImage(t, "app:v1")
	s.AssertWhole(t, "app:v1")
	s.Log.WaitFor(t, 1, completedText("app", "v1"))
	s.Stop()
	if got := s.Log.Matching(combined("/v2/app/manifests/v1")); len(got) > 0 {
		t.Errorf("access log disabled, yet: %q", got)
	}
	if s.Events != nil {
		t.Errorf("Events without Notify")
	}
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	file := string(b)
	if file != s.Log.String() || !strings.Contains(file, `msg="response completed"`) {
		t.Errorf("LogFile differs from Log or lacks the requests:\n%s", file)
	}
	// The registry refuses what it cannot run, and Serve says why.
	msgs := failures(t, func(tb testing.TB) { Serve(tb, ServeOptions{Storage: "  tag:\n    concurrencylimit: many\n"}) })
	if len(msgs) == 0 || !strings.Contains(msgs[0], "concurrency limit config key must have a integer value") {
		t.Errorf("Serve of a configuration the registry refuses: %q", msgs)
	}
	// A served registry checks what the in-process one checks.
	if msgs := failures(t, func(tb testing.TB) { s.AssertWhole(tb, "app:v2") }); len(msgs) == 0 {
		t.Errorf("AssertWhole of a missing tag passed")
	}
}
