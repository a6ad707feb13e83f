package commands

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/regprune/regprune/internal/regtest"
)

// useWorkload is what pushAndPull did: the tags a pull kept in use, the
// others, and when the pulls started.
type useWorkload struct {
	pulled, unused []string // "repo:tag", sorted
	pullStart      time.Time
	digests        []v1.Hash // the manifests pulled by digest
}

// pushAndPull pushes, into r on root, images that are then pulled by tag,
// by digest, through an index (a child by digest) and through an index of
// indexes (a grandchild by digest), with a tag sharing a pulled digest,
// and images nobody pulls; every push is dated ten days back. The pulls
// start 7 s after the last push, so that a window starting 3 s before
// them (pullWindow) is covered by the log and holds every pull.
func pushAndPull(t *testing.T, r *regtest.Registry, root string) useWorkload {
	t.Helper()
	img := func(os, arch string) v1.Image {
		return regtest.NewImage(t, regtest.WithPlatform(os, arch), regtest.WithLayers(1, 256))
	}
	r.PushImage(t, "app:by-tag", regtest.WithLayers(1, 256))
	byDigest := r.PushImage(t, "app:by-digest", regtest.WithLayers(1, 256))
	r.Write(t, "app:alias", byDigest) // same manifest: pulled by digest too
	amd, arm := img("linux", "amd64"), img("linux", "arm64")
	r.PushIndex(t, "app:multi", amd, arm)
	s390x, ppc := img("linux", "s390x"), img("linux", "ppc64le")
	inner := r.PushIndex(t, "web:inner", s390x, ppc)
	r.PushIndexOf(t, "web:nested", inner)
	r.PushImage(t, "app:unused", regtest.WithLayers(1, 256))
	r.PushIndex(t, "app:unused-index", img("linux", "riscv64"), img("windows", "amd64"))
	r.PushImage(t, "web:unused", regtest.WithLayers(1, 256))
	tags := []string{"app:by-tag", "app:by-digest", "app:alias", "app:multi", "web:inner", "web:nested", "app:unused", "app:unused-index", "web:unused"}
	for _, ref := range tags {
		repo, tag, _ := strings.Cut(ref, ":")
		regtest.SetPushed(t, root, repo, tag, time.Now().Add(-10*pruneDay))
	}
	// The pushes answered HEADs of their indexes' children (pulls by
	// digest, to the log): the pulls start 7 s later, and the window
	// reaches 3 s before them, so that a push's line logged late on a
	// loaded machine (the time is taken when it is written) stays out.
	time.Sleep(7 * time.Second)
	w := useWorkload{pullStart: time.Now(), digests: []v1.Hash{regtest.DigestOf(t, byDigest), regtest.DigestOf(t, amd), regtest.DigestOf(t, s390x)}}
	r.AssertWhole(t, "app:by-tag")
	r.AssertWhole(t, "app@"+w.digests[0].String())
	r.AssertWhole(t, "app@"+w.digests[1].String())
	r.AssertWhole(t, "web@"+w.digests[2].String())
	w.pulled = []string{"app:alias", "app:by-digest", "app:by-tag", "app:multi", "web:inner", "web:nested"}
	w.unused = []string{"app:unused", "app:unused-index", "web:unused"}
	return w
}

// pullWindow is a --keep-pulled-within that reaches 3 s before the pulls
// started: the log covers all of it, and every pull is in it.
func (w useWorkload) pullWindow() string {
	return fmt.Sprintf("%ds", int(time.Since(w.pullStart.Add(-3*time.Second)).Seconds()))
}

// waitPullEvents waits for the notifications of the workload's pulls.
func waitPullEvents(t *testing.T, ev *regtest.Events, w useWorkload) {
	t.Helper()
	ev.WaitFor(t, 1, func(e regtest.Event) bool { return e.Action == "pull" && e.Target.Tag == "by-tag" })
	for _, d := range w.digests {
		ev.WaitFor(t, 1, func(e regtest.Event) bool { return e.Action == "pull" && e.Target.Digest == d.String() })
	}
}

// logSources splits what a registry wrote into its formats: its request
// lines (logrus text or JSON), its access log, and its notification
// envelopes, one a line as archives keep them.
func logSources(t *testing.T, log string, ev *regtest.Events, format string) map[string]string {
	t.Helper()
	var own, access []string
	for _, l := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		if strings.HasPrefix(l, "time=") || strings.HasPrefix(l, "{") {
			own = append(own, l)
		} else if strings.Contains(l, `] "`) {
			access = append(access, l)
		}
	}
	out := map[string]string{format: strings.Join(own, "\n") + "\n"}
	if len(access) > 0 {
		out["access"] = strings.Join(access, "\n") + "\n"
	}
	if ev != nil {
		var b strings.Builder
		for _, env := range ev.Envelopes() {
			b.Write(env)
			b.WriteByte('\n')
		}
		out["events"] = b.String()
	}
	return out
}

// pruneJSONOut is what these tests read of prune --json.
type pruneJSONOut struct {
	RemovedTags []struct{ Repository, Tag, Reason string } `json:"removed_tags"`
	KeptTags    []struct{ Repository, Tag, Reason string } `json:"kept_tags"`
	Use         struct {
		Coverage []struct{ Start, End time.Time }
		Partial  string `json:"partial_history"`
	} `json:"use"`
}

func parsePruneJSON(t *testing.T, out string) pruneJSONOut {
	t.Helper()
	var doc pruneJSONOut
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("prune --json: %v\n%s", err, out)
	}
	return doc
}

func (d pruneJSONOut) removed() []string {
	var out []string
	for _, r := range d.RemovedTags {
		out = append(out, r.Repository+":"+r.Tag)
	}
	sort.Strings(out)
	return out
}

func (d pruneJSONOut) reasons() map[string]string {
	out := map[string]string{}
	for _, r := range d.RemovedTags {
		out[r.Repository+":"+r.Tag] = r.Reason
	}
	for _, r := range d.KeptTags {
		out[r.Repository+":"+r.Tag] = r.Reason
	}
	return out
}

// assertPrunedByUse records log into a copy of root, prunes it by pulls
// within the workload's window, and checks that exactly the pulled tags
// stay, each pulling whole through a registry serving the copy.
func assertPrunedByUse(t *testing.T, root, log string, w useWorkload, stdin bool) {
	t.Helper()
	copyRoot := regtest.CopyTree(t, root)
	name := "-"
	if !stdin {
		name = filepath.Join(t.TempDir(), "registry.log")
		if err := os.WriteFile(name, []byte(log), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec := mustRunStdin(t, 0, log, "--root", copyRoot, "--json", "pulls", "record", name)
	var doc struct {
		Inputs []struct {
			Pulls   int64
			Covered []struct{ Start, End time.Time }
		}
	}
	if err := json.Unmarshal([]byte(rec.Stdout), &doc); err != nil || len(doc.Inputs) != 1 || doc.Inputs[0].Pulls == 0 || len(doc.Inputs[0].Covered) == 0 {
		t.Fatalf("pulls record: %v\n%s\n%s", err, rec.Stdout, rec.Stderr)
	}
	out := mustRun(t, 0, "--root", copyRoot, "--json", "prune", "--keep-pulled-within", w.pullWindow(), "--grace", "0")
	pr := parsePruneJSON(t, out.Stdout)
	if got := pr.removed(); !slices.Equal(got, w.unused) {
		t.Errorf("removed %v, want %v\n%s", got, w.unused, out.Stdout)
	}
	reasons := pr.reasons()
	for _, ref := range w.pulled {
		if !strings.HasPrefix(reasons[ref], "pulled ") || !strings.Contains(reasons[ref], ", within ") {
			t.Errorf("%s kept for %q, want its pull", ref, reasons[ref])
		}
	}
	for _, ref := range w.unused {
		if !strings.Contains(reasons[ref], "not pulled within") {
			t.Errorf("%s removed for %q, want not pulled within", ref, reasons[ref])
		}
	}
	check := regtest.Start(t, copyRoot)
	want := map[string][]string{}
	for _, ref := range w.pulled {
		repo, tag, _ := strings.Cut(ref, ":")
		want[repo] = append(want[repo], tag)
	}
	assertPrunedTags(t, check, want)
}

// TestPruneByPullsFromRegistryLogs: the logs of a registry, in each format
// it writes (request lines as logrus text and JSON, the access log, the
// notifications), recorded, make prune keep exactly the tags pulled by tag,
// by digest, by a digest of their index's child or grandchild, and remove
// the rest; every kept tag still pulls whole. Both the in-process 2.8
// registry and registry serve 3.1 (skipped without its binary).
func TestPruneByPullsFromRegistryLogs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		json bool
	}{{"2.8-text", false}, {"2.8-json", true}, {"3.1-text", false}, {"3.1-json", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var (
				log  func() string
				ev   *regtest.Events
				root string
				r    *regtest.Registry
				stop = func() {}
			)
			opts := regtest.LogOptions{JSON: c.json, AccessLog: !c.json, Notify: !c.json}
			if strings.HasPrefix(c.name, "2.8") {
				root = t.TempDir()
				l := regtest.StartLogged(t, root, opts)
				r, log, ev = l.Registry, l.Log.String, l.Events
			} else {
				s := regtest.Serve(t, regtest.ServeOptions{JSON: opts.JSON, AccessLog: opts.AccessLog, Notify: opts.Notify})
				root, r, log, ev, stop = s.Root, s.Registry, s.Log.String, s.Events, s.Stop
			}
			w := pushAndPull(t, r, root)
			if ev != nil {
				waitPullEvents(t, ev, w)
			}
			time.Sleep(200 * time.Millisecond) // the last request's line is written after its answer
			stop()
			format := strings.TrimPrefix(c.name[3:], "-")
			for source, text := range logSources(t, log(), ev, format) {
				t.Run(source, func(t *testing.T) {
					assertPrunedByUse(t, root, text, w, false)
				})
			}
			if c.name == "3.1-text" {
				// As kubectl logs --prefix --timestamps prints it, on stdin.
				t.Run("kubectl", func(t *testing.T) { assertPrunedByUse(t, root, kubectlStyle(log()), w, true) })
			}
		})
	}
}

// kubectlStyle prefixes every line as kubectl logs --prefix --timestamps
// does (with the line's own time, as the container runtime saw it).
func kubectlStyle(log string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		stamp := time.Now().UTC()
		if v, _, ok := strings.Cut(strings.TrimPrefix(l, `time="`), `"`); ok && strings.HasPrefix(l, `time="`) {
			if tm, err := time.Parse(time.RFC3339Nano, v); err == nil {
				stamp = tm
			}
		}
		fmt.Fprintf(&b, "[pod/registry-7d9f8-x2x4q/registry] %s %s\n", stamp.Format(time.RFC3339Nano), l)
	}
	return b.String()
}
