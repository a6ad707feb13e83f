package commands

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// logRecords parses stderr's JSON log lines (other lines are skipped).
func logRecords(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil {
			out = append(out, rec)
		}
	}
	return out
}

func hasRecord(recs []map[string]any, msg string, match func(map[string]any) bool) bool {
	for _, r := range recs {
		if r["msg"] == msg && r["level"] == "DEBUG" && match(r) {
			return true
		}
	}
	return false
}

// TestDeletionsLoggedAtDebug: tag rm, prune and gc log every deletion at
// debug level with repository and digest; at the default level, nothing.
func TestDeletionsLoggedAtDebug(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	v1 := r.PushImage(t, "app:v1")
	r.PushImage(t, "app:v2")
	r.PushImage(t, "app:v3")
	d1, err := v1.Digest()
	if err != nil {
		t.Fatal(err)
	}

	out := mustRun(t, 0, "--root", root, "--log-level", "debug", "--log-format", "json", "tag", "rm", "app:v1")
	recs := logRecords(t, out.Stderr)
	if !hasRecord(recs, "tag rm: removed", func(m map[string]any) bool {
		return m["repository"] == "app" && m["tag"] == "v1" && m["digest"] == d1.String()
	}) {
		t.Errorf("no debug record of tag rm app:v1 (%s):\n%s", d1, out.Stderr)
	}

	out = mustRun(t, 0, "--root", root, "--log-level", "debug", "--log-format", "json", "prune", "--no-gc", "--repo", "app", "--tag", "^v2$")
	if !hasRecord(logRecords(t, out.Stderr), "prune: removed tag", func(m map[string]any) bool {
		return m["repository"] == "app" && m["tag"] == "v2" && strings.HasPrefix(m["digest"].(string), "sha256:")
	}) {
		t.Errorf("no debug record of prune removing app:v2:\n%s", out.Stderr)
	}

	out = mustRun(t, 0, "--root", root, "--log-level", "debug", "--log-format", "json", "gc", "--delete-untagged", "--grace", "0")
	if !hasRecord(logRecords(t, out.Stderr), "gc: removed", func(m map[string]any) bool {
		return m["object"] == "app@"+d1.String()
	}) {
		t.Errorf("no debug record of gc removing revision app@%s:\n%s", d1, out.Stderr)
	}
	r.AssertWhole(t, "app:v3")

	r.PushImage(t, "app:v4")
	out = mustRun(t, 0, "--root", root, "--log-format", "json", "tag", "rm", "app:v4")
	if len(logRecords(t, out.Stderr)) != 0 {
		t.Errorf("records at the default level (warn):\n%s", out.Stderr)
	}
}
