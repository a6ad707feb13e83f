package commands

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
