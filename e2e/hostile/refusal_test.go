package hostile

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// TestRefusalOutput: what an operator sees when gc and prune refuse, in
// text and in --json: every culprit with its path and fix, exit 1,
// nothing removed (prune removes no tag either: it plans its gc first).
func TestRefusalOutput(t *testing.T) {
	t.Parallel()
	tr := newTree(t, false)
	if err := os.WriteFile(tr.tagLink("i:T11"), []byte(tr.digest("i:T11").String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	copyDir(t, repoDir(tr.root, "i"), tr.canary.path("evil"))
	if err := os.Symlink(tr.canary.path("evil"), repoDir(tr.root, "evil")); err != nil {
		t.Fatal(err)
	}
	tr.canary.age(t)
	canary, tree := tr.canary.snapshot(t), regtest.Snapshot(t, tr.root)
	for _, args := range [][]string{
		{"gc", "--delete-untagged", "--grace", "0"},
		{"prune", "--repo", "i", "--tag", "T5.", "--grace", "0"},
	} {
		r := run(t, append([]string{"--root", tr.root}, args...)...)
		for _, want := range []string{
			"refused to sweep, nothing was removed",
			"tag i:T11: current link: bad link: /docker/registry/v2/repositories/i/_manifests/tags/T11/current/link",
			"fix: repair the link, or remove the tag: regprune tag rm i:T11",
			"/docker/registry/v2/repositories/evil: symbolic link",
			"fix: regprune never follows nor removes one",
		} {
			if r.Code != 1 || !strings.Contains(r.Stderr, want) {
				t.Errorf("want exit 1 and %q on stderr:\n%s", want, r)
			}
		}
		if r.Stdout != "" {
			t.Errorf("a refusal prints no summary:\n%s", r)
		}
		if args[0] == "prune" && !strings.Contains(r.Stderr, "prune removed nothing") {
			t.Errorf("prune does not say it removed nothing:\n%s", r)
		}

		r = run(t, append([]string{"--root", tr.root, "--json"}, args...)...)
		var doc struct {
			Error    string `json:"error"`
			Refused  bool   `json:"refused"`
			Refusals []struct {
				Kind, Repository, Tag, Path, Detail, Fix string
			} `json:"refusals"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
			t.Fatalf("--json: %v\n%s", err, r)
		}
		if r.Code != 1 || !doc.Refused || len(doc.Refusals) != 2 || !strings.Contains(doc.Error, "refused to sweep") {
			t.Fatalf("--json refusal: %+v\n%s", doc, r)
		}
		a, l := doc.Refusals[0], doc.Refusals[1]
		if a.Kind != "anomaly" || a.Path != "/docker/registry/v2/repositories/evil" || a.Fix == "" {
			t.Errorf("anomaly: %+v", a)
		}
		if l.Kind != "tag-link-broken" || l.Repository != "i" || l.Tag != "T11" ||
			l.Path != "/docker/registry/v2/repositories/i/_manifests/tags/T11/current/link" || !strings.Contains(l.Fix, "tag rm i:T11") {
			t.Errorf("tag link: %+v", l)
		}
	}
	tr.canary.assertUnchanged(t, canary, "gc and prune")
	// Not even a journal record: nothing was removed (the lock file the
	// runs took is the only new entry).
	if err := os.Remove(regtest.LockFile(tr.root)); err != nil {
		t.Fatal(err)
	}
	regtest.AssertUnchanged(t, tr.root, tree)
}
