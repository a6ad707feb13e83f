package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/metrics"
	"github.com/regprune/regprune/internal/regtest"
)

// promValue parses the metrics file and returns name{command=cmd} (and
// kind, when given); found is false when there is no such series.
func promValue(t *testing.T, path, name, cmd, kind string) (v float64, found bool) {
	t.Helper()
	fams, err := metrics.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: invalid exposition format: %v", path, err)
	}
	mf := fams[name]
	if mf == nil {
		return 0, false
	}
	for _, m := range mf.Metric {
		labels := map[string]string{}
		for _, lp := range m.Label {
			labels[lp.GetName()] = lp.GetValue()
		}
		if labels["command"] == cmd && labels["kind"] == kind {
			return m.GetGauge().GetValue() + m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

func mustProm(t *testing.T, path, name, cmd, kind string, want float64) {
	t.Helper()
	got, found := promValue(t, path, name, cmd, kind)
	if !found || got != want {
		t.Errorf("%s{command=%q,kind=%q} = %v (found %v), want %v", name, cmd, kind, got, found, want)
	}
}

func TestMetricsFileCheckSuccessThenFailure(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	prom := filepath.Join(t.TempDir(), "regprune.prom")

	mustRun(t, 0, "--root", root, "--metrics-file", prom, "check")
	mustProm(t, prom, "regprune_runs_total", "check", "", 1)
	mustProm(t, prom, "regprune_last_run_success", "check", "", 1)
	mustProm(t, prom, "regprune_last_run_problems", "check", "", 0)
	first, found := promValue(t, prom, "regprune_last_success_timestamp_seconds", "check", "")
	if !found || first <= 0 {
		t.Fatalf("no last success timestamp after a clean check")
	}

	damageOneBlob(t, root)
	r := mustRun(t, 1, "--root", root, "--metrics-file", prom, "check")
	if strings.Contains(r.Stderr, "metrics") {
		t.Errorf("metrics complaint on stderr:\n%s", r.Stderr)
	}
	mustProm(t, prom, "regprune_runs_total", "check", "", 2)
	mustProm(t, prom, "regprune_failures_total", "check", "", 1)
	mustProm(t, prom, "regprune_last_run_success", "check", "", 0)
	mustProm(t, prom, "regprune_last_success_timestamp_seconds", "check", "", first)
	if n, _ := promValue(t, prom, "regprune_last_run_problems", "check", ""); n < 1 {
		t.Errorf("problems = %v after damaging a blob, want >= 1", n)
	}
}

// damageOneBlob removes the data of one blob of the sample registry.
func damageOneBlob(t *testing.T, root string) {
	t.Helper()
	blobs, err := filepath.Glob(filepath.Join(regtest.V2Dir(root), "blobs", "sha256", "*", "*", "data"))
	if err != nil || len(blobs) == 0 {
		t.Fatalf("no blobs in the sample: %v", err)
	}
	if err := os.Remove(blobs[0]); err != nil {
		t.Fatal(err)
	}
}

func TestMetricsFileOnUsageErrorAndFromEnvironment(t *testing.T) {
	root, _ := regtest.LoadSample(t)
	prom := filepath.Join(t.TempDir(), "regprune.prom")
	t.Setenv("REGPRUNE_METRICS_FILE", prom)
	mustRun(t, 2, "--root", root, "check", "--no-such-flag")
	mustProm(t, prom, "regprune_failures_total", "check", "", 1)
	mustProm(t, prom, "regprune_last_run_success", "check", "", 0)
	if _, found := promValue(t, prom, "regprune_last_success_timestamp_seconds", "check", ""); found {
		t.Errorf("a last success recorded for a run that never succeeded")
	}
}

func TestMetricsFileNotWrittenWithoutCommand(t *testing.T) {
	t.Parallel()
	prom := filepath.Join(t.TempDir(), "regprune.prom")
	mustRun(t, 0, "--metrics-file", prom, "--version")
	mustRun(t, 0, "--metrics-file", prom, "--help")
	if _, err := os.Stat(prom); !os.IsNotExist(err) {
		t.Errorf("metrics file written without a command: %v", err)
	}
}

func TestMetricsFileUnwritableFailsTheRun(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	prom := filepath.Join(t.TempDir(), "missing-dir", "regprune.prom")
	r := mustRun(t, 1, "--root", root, "--metrics-file", prom, "check")
	if !strings.Contains(r.Stderr, prom) {
		t.Errorf("stderr does not name %s:\n%s", prom, r.Stderr)
	}
}

// TestMetricsFileNamesTagCommandsInFull: the command label of tag rm and
// tag ls is the full name ("tag rm"), never the last word alone.
func TestMetricsFileNamesTagCommandsInFull(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	prom := filepath.Join(t.TempDir(), "regprune.prom")
	mustRun(t, 0, "--root", root, "--metrics-file", prom, "tag", "ls")
	mustRun(t, 2, "--root", root, "--metrics-file", prom, "tag", "rm", "I:T11")
	mustRun(t, 0, "--root", root, "tag", "rm", "--metrics-file", prom, "i:T12", "i:T22")
	mustProm(t, prom, "regprune_runs_total", "tag ls", "", 1)
	mustProm(t, prom, "regprune_runs_total", "tag rm", "", 2)
	mustProm(t, prom, "regprune_failures_total", "tag rm", "", 1)
	mustProm(t, prom, "regprune_last_run_removed", "tag rm", "tags", 2)
	for _, short := range []string{"rm", "ls"} {
		if _, found := promValue(t, prom, "regprune_runs_total", short, ""); found {
			t.Errorf("a series labelled command=%q", short)
		}
	}
}
