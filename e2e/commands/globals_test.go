package commands

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// TestGlobalFlagsAfterTheCommand: every global flag is accepted after the
// command and after a command group, as kubectl and restic users type
// them; the output is the same as with the flags before the command.
func TestGlobalFlagsAfterTheCommand(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	want := mustRun(t, 0, "--root", root, "--json", "tag", "ls", "i").Stdout
	for _, args := range [][]string{
		{"tag", "ls", "--root", root, "--json", "i"},
		{"tag", "--root", root, "ls", "--json", "i"},
		{"--json", "tag", "ls", "--root", root, "i"},
		{"tag", "ls", "--root=" + root, "--json=true", "-q", "--log-level", "debug", "--log-format", "json", "i"},
	} {
		if got := mustRun(t, 0, args...).Stdout; got != want {
			t.Errorf("regprune %q printed:\n%s\nwant:\n%s", args, got, want)
		}
	}
	// gc --json --dry-run, as the issue typed it.
	res := mustRun(t, 0, "gc", "--json", "--dry-run", "--root", root)
	var doc map[string]any
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil || doc["dry_run"] != true {
		t.Errorf("gc --json --dry-run --root: %v\n%s", err, res.Stdout)
	}
	// -q after the command silences stderr's informational lines.
	if res := mustRun(t, 0, "tag", "ls", "--root", root, "-q", "i"); res.Stderr != "" {
		t.Errorf("tag ls -q printed on stderr:\n%s", res.Stderr)
	}
	// A changing command: the lock options too.
	mustRun(t, 0, "tag", "rm", "--root", root, "--lock-timeout", "1s", "--lock-stale", "1h", "i:T11")
	regtest.AssertMissing(t, regtest.TagDir(root, "i", "T11"))
	// --metrics-file after the command.
	prom := filepath.Join(t.TempDir(), "m.prom")
	mustRun(t, 0, "check", "--root", root, "--metrics-file", prom)
	mustProm(t, prom, "regprune_runs_total", "check", "", 1)
}

// TestGlobalFlagGivenTwice: a global flag given before and after the
// command takes the value given last (closest to the command), as a flag
// repeated in one place does; so --root /wrong ... --root ROOT uses ROOT,
// and the reverse fails naming /wrong.
func TestGlobalFlagGivenTwice(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	wrong := filepath.Join(t.TempDir(), "wrong")
	res := mustRun(t, 0, "--root", wrong, "tag", "ls", "--root", root, "i")
	if !strings.Contains(res.Stderr, "using filesystem storage "+root+" (from --root)") {
		t.Errorf("stderr does not name the root given last:\n%s", res.Stderr)
	}
	res = mustRun(t, 1, "--root", root, "tag", "ls", "--root", wrong)
	if !strings.Contains(res.Stderr, wrong) || res.Stdout != "" {
		t.Errorf("the root given last is not the one used:\n%s%s", res.Stdout, res.Stderr)
	}
	res = mustRun(t, 1, "--root", root, "tag", "--root", root, "ls", "--root", wrong)
	if !strings.Contains(res.Stderr, wrong) {
		t.Errorf("tag --root ROOT ls --root WRONG did not use WRONG:\n%s", res.Stderr)
	}
	// Booleans too: --json before, --json=false after: a table.
	res = mustRun(t, 0, "--json", "--root", root, "tag", "ls", "--json=false", "i")
	if strings.HasPrefix(res.Stdout, "[") || !strings.Contains(res.Stdout, "REPOSITORY") {
		t.Errorf("--json ... --json=false printed:\n%s", res.Stdout)
	}
}

// TestGlobalFlagOverEnvironment: a flag given after the command wins over
// its environment variable, as one given before does.
func TestGlobalFlagOverEnvironment(t *testing.T) {
	root, _ := regtest.LoadSample(t)
	t.Setenv("REGPRUNE_ROOT", filepath.Join(t.TempDir(), "wrong"))
	t.Setenv("REGPRUNE_JSON", "true")
	res := mustRun(t, 0, "tag", "ls", "--root", root, "--json=false", "i")
	if !strings.Contains(res.Stdout, "7 tags in 1 repository") {
		t.Errorf("tag ls with flags after the command over the environment:\n%s", res.Stdout)
	}
	res = mustRun(t, 0, "tag", "ls", "--root", root, "i") // REGPRUNE_JSON still applies
	if !strings.HasPrefix(res.Stdout, "[") {
		t.Errorf("REGPRUNE_JSON=true ignored:\n%s", res.Stdout)
	}
}

// TestEmptyPathFlags: a path flag given empty (an unset shell variable),
// before or after the command or in its environment variable, is a usage
// error naming it, before anything is opened or written.
func TestEmptyPathFlags(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	before := regtest.Snapshot(t, root)
	cases := []struct {
		args []string
		name string
	}{
		{[]string{"--root", "", "tag", "ls"}, "--root"},
		{[]string{"tag", "ls", "--root", ""}, "--root"},
		{[]string{"--root", root, "tag", "ls", "--root="}, "--root"},
		{[]string{"--config", "", "check"}, "--config"},
		{[]string{"check", "--config="}, "--config"},
		{[]string{"--root", root, "--metrics-file", "", "check"}, "--metrics-file"},
		{[]string{"--root", root, "gc", "--metrics-file", ""}, "--metrics-file"},
		{[]string{"--root", root, "prune", "--policy", ""}, "--policy"},
		{[]string{"--root", root, "tag", "rm", "--metrics-file", "", "i:T11"}, "--metrics-file"},
	}
	for _, c := range cases {
		res := mustRun(t, exitUsage, c.args...)
		if !strings.Contains(res.Stderr, c.name+" ") || !strings.Contains(res.Stderr, "is empty") || res.Stdout != "" {
			t.Errorf("regprune %q: stderr does not name %s as empty:\n%s%s", c.args, c.name, res.Stdout, res.Stderr)
		}
	}
	regtest.AssertUnchanged(t, root, before)
}

// TestEmptyPathEnvironment: REGPRUNE_METRICS_FILE="" is refused too.
func TestEmptyPathEnvironment(t *testing.T) {
	root, _ := regtest.LoadSample(t)
	t.Setenv("REGPRUNE_METRICS_FILE", "")
	res := mustRun(t, exitUsage, "--root", root, "check")
	if !strings.Contains(res.Stderr, "--metrics-file (or $REGPRUNE_METRICS_FILE) is empty") {
		t.Errorf("stderr:\n%s", res.Stderr)
	}
	prom := filepath.Join(t.TempDir(), "m.prom")
	mustRun(t, 0, "--root", root, "check", "--metrics-file", prom) // the flag wins
}
