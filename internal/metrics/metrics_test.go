package metrics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

var t0 = time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC)

// parse reads path as Prometheus text format, failing the test otherwise.
func parse(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := ReadFile(path)
	if err != nil {
		t.Fatalf("%s is not valid exposition format: %v", path, err)
	}
	return fams
}

// get returns the value of name for command (and kind, when given).
func get(t *testing.T, fams map[string]*dto.MetricFamily, name, command, kind string) float64 {
	t.Helper()
	mf := fams[name]
	if mf == nil {
		t.Fatalf("no family %s", name)
	}
	for _, m := range mf.Metric {
		c, _ := label(m, "command")
		k, _ := label(m, "kind")
		if c == command && k == kind {
			return value(m)
		}
	}
	t.Fatalf("no %s{command=%q,kind=%q}", name, command, kind)
	return 0
}

func has(fams map[string]*dto.MetricFamily, name, command string) bool {
	_, ok := lookup(fams, name, command)
	return ok
}

func TestWriteFileSuccessThenFailureKeepsLastSuccess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "regprune.prom")
	ok := Run{Command: "prune", Start: t0, Duration: 1500 * time.Millisecond, FreedBytes: 4096,
		Removed: Removed{Tags: 3, Manifests: 2, Blobs: 5, LayerLinks: 4, Uploads: 1, Repositories: 1}}
	if err := WriteFile(path, ok); err != nil {
		t.Fatal(err)
	}
	fams := parse(t, path)
	end := float64(t0.Add(1500*time.Millisecond).UnixMilli()) / 1000
	want := map[string]float64{nameRuns: 1, nameFailures: 0, nameSuccess: 1, nameLastRun: end,
		nameLastSuccess: end, nameDuration: 1.5, nameDryRun: 0, nameFreed: 4096}
	for name, v := range want {
		if got := get(t, fams, name, "prune", ""); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	for kind, v := range map[string]float64{"tags": 3, "manifests": 2, "blobs": 5, "layer_links": 4, "uploads": 1, "repositories": 1} {
		if got := get(t, fams, nameRemoved, "prune", kind); got != v {
			t.Errorf("removed %s = %v, want %v", kind, got, v)
		}
	}
	if has(fams, nameProblems, "prune") {
		t.Errorf("problems written for a command that did not check")
	}

	failed := Run{Command: "prune", Start: t0.Add(time.Hour), Duration: time.Second, Failed: true}
	if err := WriteFile(path, failed); err != nil {
		t.Fatal(err)
	}
	fams = parse(t, path)
	want = map[string]float64{nameRuns: 2, nameFailures: 1, nameSuccess: 0, nameLastSuccess: end,
		nameLastRun: float64(t0.Add(time.Hour + time.Second).Unix()), nameFreed: 0}
	for name, v := range want {
		if got := get(t, fams, name, "prune", ""); got != v {
			t.Errorf("after failure: %s = %v, want %v", name, got, v)
		}
	}
	if got := fams[nameFailures].GetType(); got != dto.MetricType_COUNTER {
		t.Errorf("%s type %v, want counter", nameFailures, got)
	}
}

func TestWriteFileFailureWithoutEarlierSuccess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "regprune.prom")
	if err := WriteFile(path, Run{Command: "gc", Start: t0, Failed: true}); err != nil {
		t.Fatal(err)
	}
	fams := parse(t, path)
	if has(fams, nameLastSuccess, "gc") {
		t.Errorf("a last success invented for a command that never succeeded")
	}
	if got := get(t, fams, nameFailures, "gc", ""); got != 1 {
		t.Errorf("failures = %v, want 1", got)
	}
}

func TestWriteFileKeepsOtherCommands(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "regprune.prom")
	check := Run{Command: "check", Start: t0, Duration: time.Minute, Checked: true, Problems: 7, Failed: true}
	if err := WriteFile(path, check); err != nil {
		t.Fatal(err)
	}
	prune := Run{Command: "tag rm", Start: t0.Add(time.Hour), DryRun: true, Removed: Removed{Tags: 2}}
	if err := WriteFile(path, prune); err != nil {
		t.Fatal(err)
	}
	fams := parse(t, path)
	if got := get(t, fams, nameProblems, "check", ""); got != 7 {
		t.Errorf("check problems = %v, want 7", got)
	}
	if got := get(t, fams, nameFailures, "check", ""); got != 1 {
		t.Errorf("check failures = %v, want 1", got)
	}
	if got := get(t, fams, nameRemoved, "tag rm", "tags"); got != 2 {
		t.Errorf("tag rm removed tags = %v, want 2", got)
	}
	if got := get(t, fams, nameDryRun, "tag rm", ""); got != 1 {
		t.Errorf("dry run = %v, want 1", got)
	}
	if got := get(t, fams, nameRuns, "check", ""); got != 1 {
		t.Errorf("check runs = %v, want 1 (another command must not count)", got)
	}
}

func TestWriteFileAtomicNoLeftovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "regprune.prom")
	for i := range 3 {
		if err := WriteFile(path, Run{Command: "gc", Start: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "regprune.prom" {
		t.Fatalf("directory holds %v, want only regprune.prom", entries)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 (node_exporter must read it)", fi.Mode())
	}
	if got := get(t, parse(t, path), nameRuns, "gc", ""); got != 3 {
		t.Errorf("runs = %v, want 3", got)
	}
}

func TestWriteFileRefusesForeignFileAndLeavesIt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "regprune.prom")
	garbage := "this is { not prometheus\n"
	if err := os.WriteFile(path, []byte(garbage), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, Run{Command: "gc", Start: t0})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want an error naming %s", err, path)
	}
	b, _ := os.ReadFile(path)
	if string(b) != garbage {
		t.Errorf("foreign file changed to %q", b)
	}
}

func TestWriteFileMissingDirectory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope", "regprune.prom")
	err := WriteFile(path, Run{Command: "gc", Start: t0})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want an error naming %s", err, path)
	}
}

// FuzzWriteFile: whatever the previous file holds, WriteFile either refuses
// it or writes a file that parses, with this run counted.
func FuzzWriteFile(f *testing.F) {
	f.Add("")
	f.Add("# TYPE regprune_runs_total counter\nregprune_runs_total{command=\"gc\"} 4\n")
	f.Add("regprune_runs_total{command=\"prune\"} 1e3\nregprune_failures_total{command=\"prune\"} NaN\n")
	f.Add("# TYPE regprune_last_run_removed gauge\nregprune_last_run_removed{command=\"x y\",kind=\"tags\"} 2\n")
	f.Fuzz(func(t *testing.T, previous string) {
		path := filepath.Join(t.TempDir(), "m.prom")
		if err := os.WriteFile(path, []byte(previous), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, Run{Command: "prune", Start: t0}); err != nil {
			return
		}
		fams := parse(t, path)
		if get(t, fams, nameSuccess, "prune", "") != 1 {
			t.Errorf("success not recorded")
		}
	})
}
