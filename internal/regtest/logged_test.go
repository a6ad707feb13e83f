package regtest

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStartLogged: the in-process 2.8 registry logs a pull by tag and by
// digest as registry serve 2.8 does (text and JSON request lines, the
// access log) and notifies both; without options it logs nothing of
// them, and two registries do not share their logs.
func TestStartLogged(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			r := StartLogged(t, t.TempDir(), LogOptions{JSON: format == "json", AccessLog: true, Notify: true})
			quiet := StartLogged(t, t.TempDir(), LogOptions{JSON: format == "json"})
			img := r.PushImage(t, "team/app:v1")
			d := DigestOf(t, img).String()
			r.AssertWhole(t, "team/app:v1")
			r.AssertWhole(t, "team/app@"+d)
			completed := completedText28
			if format == "json" {
				completed = completedJSON28
			}
			for _, ref := range []string{"v1", d} {
				r.Log.WaitFor(t, 1, completed("team/app", ref))
				r.Log.WaitFor(t, 1, combined("/v2/team/app/manifests/"+ref))
			}
			r.Events.WaitFor(t, 1, func(e Event) bool {
				return e.Action == "pull" && e.Target.Repository == "team/app" && e.Target.Tag == "v1" && e.Target.Digest == d
			})
			r.Events.WaitFor(t, 1, func(e Event) bool {
				return e.Action == "pull" && e.Target.Repository == "team/app" && e.Target.Digest == d && e.Target.Tag == ""
			})
			if strings.Contains(quiet.Log.String(), "team/app") {
				t.Errorf("another registry's log holds this one's requests:\n%s", quiet.Log)
			}
			quiet.PushImage(t, "other:v1")
			quiet.AssertWhole(t, "other:v1")
			quiet.Log.WaitFor(t, 1, completed("other", "v1"))
			if got := quiet.Log.Matching(combined("/v2/other/manifests/v1")); len(got) > 0 || quiet.Events != nil {
				t.Errorf("access log and notifications off, yet: %q", got)
			}
		})
	}
}

// completedText28 is completedText without the vars: 2.8 logs a success
// from before its router ran (vars.name and vars.reference are only on
// its error lines).
func completedText28(repo, ref string) func(string) bool {
	return func(l string) bool {
		l += " "
		has := func(k, v string) bool {
			return strings.Contains(l, " "+k+"="+v+" ") || strings.Contains(l, " "+k+"=\""+v+"\" ")
		}
		return has("level", "info") && has("msg", "response completed") && has("http.request.method", "GET") &&
			has("http.request.uri", "/v2/"+repo+"/manifests/"+ref) && has("http.response.status", "200")
	}
}

// completedJSON28 is completedJSON without the vars.
func completedJSON28(repo, ref string) func(string) bool {
	return func(l string) bool {
		var e map[string]any
		if json.Unmarshal([]byte(l), &e) != nil {
			return false
		}
		return e["level"] == "info" && e["msg"] == "response completed" && e["http.request.method"] == "GET" &&
			e["http.request.uri"] == "/v2/"+repo+"/manifests/"+ref && e["http.response.status"] == float64(200)
	}
}
