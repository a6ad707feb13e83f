package commands

import (
	"bytes"
	"compress/gzip"
	"context"
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
	"github.com/regprune/regprune/internal/cli"
	"github.com/regprune/regprune/internal/regtest"
)

// mustRunStdin is mustRun with stdin ("-" reads it).
func mustRunStdin(t testing.TB, want int, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), append([]string{"regprune"}, args...), &out, &errb, cli.WithStdin(strings.NewReader(stdin)))
	if code != want {
		t.Fatalf("regprune %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, out.String(), errb.String())
	}
	return result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

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
// start 4 s after the last push, so that a window starting 3 s before
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
	time.Sleep(4 * time.Second)
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

// gzipTo writes text gzip'd to w.
func gzipTo(t *testing.T, w *bytes.Buffer, text string) {
	t.Helper()
	zw := gzip.NewWriter(w)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// fileBytes reads a file, failing t.
func fileBytes(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func historyFile(root string) string {
	return filepath.Join(regtest.V2Dir(root), ".regprune", "pull-history.gz")
}

// pulledRow is what tag ls --json says of a tag's last pull.
type pulledRow struct {
	Pulled time.Time
	Via    string
}

// tagLsPulled is tag ls --json's pulled_via per tag.
func tagLsPulled(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for ref, r := range tagLsPulls(t, root) {
		out[ref] = r.Via
	}
	return out
}

// tagLsPulls is tag ls --json's pull columns per tag.
func tagLsPulls(t *testing.T, root string) map[string]pulledRow {
	t.Helper()
	out := mustRun(t, 0, "--root", root, "--json", "tag", "ls")
	var rows []struct {
		Repository, Tag string
		Pulled          time.Time `json:"pulled"`
		PulledVia       string    `json:"pulled_via"`
	}
	if err := json.Unmarshal([]byte(out.Stdout), &rows); err != nil {
		t.Fatalf("tag ls --json: %v\n%s", err, out.Stdout)
	}
	got := map[string]pulledRow{}
	for _, r := range rows {
		got[r.Repository+":"+r.Tag] = pulledRow{r.Pulled, r.PulledVia}
		if r.PulledVia != "never" && r.PulledVia != "" && r.Pulled.IsZero() {
			t.Errorf("%s:%s pulled %s without a time", r.Repository, r.Tag, r.PulledVia)
		}
	}
	return got
}

// TestPullsRecord: recording is idempotent (the same log twice leaves the
// very same bytes), reports what it read per log, drops tags that no
// longer exist when it rewrites the history, and tag ls and pulls ls show
// the pulls; a dry run writes nothing; gzip and stdin read as plain files.
func TestPullsRecord(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	l := regtest.StartLogged(t, root, regtest.LogOptions{AccessLog: true})
	w := pushAndPull(t, l.Registry, root)
	time.Sleep(200 * time.Millisecond)
	log := l.Log.String()
	logFile := filepath.Join(t.TempDir(), "registry.log")
	if err := os.WriteFile(logFile, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	before := regtest.Snapshot(t, root)
	dry := mustRun(t, 0, "--root", root, "pulls", "record", "--dry-run", logFile)
	regtest.AssertUnchanged(t, root, before)
	if !strings.Contains(dry.Stderr, "dry run: the history was not written") || !strings.Contains(dry.Stderr, "failed request") {
		t.Errorf("dry run report:\n%s", dry.Stderr)
	}

	first := mustRun(t, 0, "--root", root, "pulls", "record", logFile)
	if !strings.Contains(first.Stderr, "pull history written") {
		t.Errorf("first record:\n%s", first.Stderr)
	}
	recorded := fileBytes(t, historyFile(root))
	again := mustRun(t, 0, "--root", root, "pulls", "record", logFile)
	if !strings.Contains(again.Stderr, "pull history unchanged") || !bytes.Equal(recorded, fileBytes(t, historyFile(root))) {
		t.Errorf("recording the same log twice changed the history:\n%s", again.Stderr)
	}
	var gz bytes.Buffer
	gzipTo(t, &gz, log)
	gzFile := filepath.Join(t.TempDir(), "registry.log.1.gz")
	if err := os.WriteFile(gzFile, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRunStdin(t, 0, log, "--root", root, "pulls", "record", gzFile, "-")
	if !bytes.Equal(recorded, fileBytes(t, historyFile(root))) {
		t.Error("the same log again, gzip'd and on stdin, changed the history")
	}

	rows := tagLsPulls(t, root)
	via := tagLsPulled(t, root)
	for _, ref := range w.pulled {
		if r := rows[ref]; r.Via == "never" || r.Via == "" || r.Pulled.Before(w.pullStart.Truncate(time.Second)) {
			t.Errorf("tag ls: %s pulled %+v, want after %s", ref, r, w.pullStart)
		}
	}
	// A push of an index HEADs its children by digest once they are up:
	// the log shows that as pulls, at push time, before the pulls.
	for _, ref := range w.unused {
		if r := rows[ref]; r.Via != "never" && (ref != "app:unused-index" || !r.Pulled.Before(w.pullStart)) {
			t.Errorf("tag ls: %s pulled %+v, want never (or at its push)", ref, r)
		}
	}
	if via["app:multi"] != "by sha256:"+w.digests[1].Hex[:12]+" in its index" || via["app:alias"] != "by digest sha256:"+w.digests[0].Hex[:12] {
		t.Errorf("tag ls pulled_via: %v", via)
	}
	ls := mustRun(t, 0, "--root", root, "pulls", "ls", "app")
	for _, want := range []string{"pull history docker/registry/v2/.regprune/pull-history.gz covers ", "app         by-tag", "sha256:" + w.digests[0].Hex} {
		if !strings.Contains(ls.Stdout, want) {
			t.Errorf("pulls ls lacks %q:\n%s", want, ls.Stdout)
		}
	}
	if strings.Contains(ls.Stdout, "web") {
		t.Errorf("pulls ls app shows web:\n%s", ls.Stdout)
	}

	// by-tag goes; the next recording drops its pull; the history shrinks.
	mustRun(t, 0, "--root", root, "tag", "rm", "app:by-tag")
	rec := mustRun(t, 0, "--root", root, "--json", "pulls", "record", logFile)
	var doc struct {
		History struct{ Dropped struct{ Tags int } }
	}
	if err := json.Unmarshal([]byte(rec.Stdout), &doc); err != nil || doc.History.Dropped.Tags != 1 {
		t.Errorf("record after tag rm: dropped %+v, %v\n%s", doc.History.Dropped, err, rec.Stdout)
	}
	if strings.Contains(mustRun(t, 0, "--root", root, "pulls", "ls").Stdout, "by-tag") {
		t.Error("pulls ls shows a tag that no longer exists")
	}
	if n := len(fileBytes(t, historyFile(root))); n >= len(recorded) {
		t.Errorf("history %d bytes after dropping a tag, was %d", n, len(recorded))
	}
}

// TestPullsHistoryErrors: a corrupt history is an error naming the file
// and how to start over, for every command that reads it, never "never
// pulled"; --reset starts over. Bad logs change nothing.
func TestPullsHistoryErrors(t *testing.T) {
	t.Parallel()
	r, root := pruneRegistry(t, map[string]time.Duration{"app:v1": 40 * pruneDay, "app:v2": 40 * pruneDay})
	log := filepath.Join(t.TempDir(), "registry.log")
	line := fmt.Sprintf("time=%q level=info msg=\"response completed\" http.request.method=GET http.request.uri=/v2/app/manifests/v1 http.response.status=200\n",
		time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano))
	if err := os.WriteFile(log, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, 0, "--root", root, "pulls", "record", log)
	regtest.WriteFile(t, historyFile(root), []byte("not a history"))
	before := regtest.Snapshot(t, root)
	for _, args := range [][]string{
		{"pulls", "record", log},
		{"pulls", "ls"},
		{"prune", "--keep-pulled-within", "1m", "--allow-partial-history"},
		{"tag", "ls"},
	} {
		out := mustRun(t, 1, append([]string{"--root", root}, args...)...)
		for _, want := range []string{"pull history docker/registry/v2/.regprune/pull-history.gz", "bad pull history", "pulls record --reset"} {
			if !strings.Contains(out.Stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, out.Stderr)
			}
		}
		if strings.Contains(out.Stdout, "never") {
			t.Errorf("%v shows never pulled:\n%s", args, out.Stdout)
		}
	}
	regtest.AssertUnchanged(t, root, before)

	// Logs that cannot be read: nothing is recorded.
	bad := filepath.Join(t.TempDir(), "cut.gz")
	var gz bytes.Buffer
	gzipTo(t, &gz, line)
	regtest.WriteFile(t, bad, gz.Bytes()[:gz.Len()-6])
	for _, args := range [][]string{{bad}, {log, filepath.Join(t.TempDir(), "missing.log")}, {"--reset", log, bad}} {
		out := mustRun(t, 1, append([]string{"--root", root, "pulls", "record"}, args...)...)
		if !strings.Contains(out.Stderr, "nothing was recorded") {
			t.Errorf("record %v:\n%s", args, out.Stderr)
		}
	}
	mustRun(t, exitUsage, "--root", root, "pulls", "record")
	mustRun(t, exitUsage, "--root", root, "pulls", "record", "-", "-")
	regtest.AssertUnchanged(t, root, before)

	out := mustRun(t, 0, "--root", root, "pulls", "record", "--reset", log)
	if !strings.Contains(out.Stderr, "pull history written") {
		t.Errorf("--reset:\n%s", out.Stderr)
	}
	if via := tagLsPulled(t, root); via["app:v1"] != "by tag" || via["app:v2"] != "never" {
		t.Errorf("after --reset: %v", via)
	}
	assertPrunedTags(t, r, map[string][]string{"app": {"v1", "v2"}})
}
