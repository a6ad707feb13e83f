package hostile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// hazard is one class of hostile or imperfect tree (issue 12).
type hazard struct {
	name   string
	apply  func(t testing.TB, tr *tree)
	repair func(t testing.TB, tr *tree) // undoes what the registry itself cannot serve through; nil: nothing
	// culprit is what a refusing run names (a path or a tag).
	culprit string
	// refused lists the commands that must refuse: exit non-zero naming
	// the culprit, nothing changed. Every other command must exit 0.
	refused []string
	// kept lists the commands that do their work but keep what the
	// culprit might reach, name it and exit 1 (a malformed link: issue 18).
	kept []string
	// names overrides culprit for some commands (restore names the blob
	// it misses rather than the blob store).
	names  map[string]string
	tagRef string // tag rm's REF (default team/app:latest)
	listed bool   // tag ls names the culprit too
	locked bool   // the hazard is the lock: scan and tag ls take none
	prune  string // prune's --repo (default i)
}

// commands are the changing commands, each with its arguments on tr.
var commands = []struct {
	name string
	args func(h hazard, tr *tree) []string
}{
	{"restore", func(h hazard, tr *tree) []string { return []string{"restore", "i:T21"} }},
	{"pulls-record", func(h hazard, tr *tree) []string { return []string{"pulls", "record", tr.log} }},
	{"tag-rm", func(h hazard, tr *tree) []string { return []string{"tag", "rm", or(h.tagRef, "team/app:latest")} }},
	{"prune", func(h hazard, tr *tree) []string {
		return []string{"prune", "--repo", or(h.prune, "i"), "--tag", "T52", "--grace", "0"}
	}},
	{"gc", func(h hazard, tr *tree) []string { return []string{"gc", "--delete-untagged", "--grace", "0"} }},
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sweeping are the commands that sweep: they refuse on every hazard that
// hides what is live.
var sweeping = []string{"prune", "gc"}

// TestHazards runs every changing command, one after the other, on
// every hazard, each hazard on its own copy of the sample: after each
// run the canary is as it was and a refusal names the culprit; at the
// end (the hazard repaired where the registry itself cannot serve
// through it) every tag pulls whole: what a run deleted stays deleted,
// so one check at the end sees every run's.
//
// On every hazard the files the tags need (blob data, revision and
// layer links) are all there, and every tag pulls whole through the
// registry.
func TestHazards(t *testing.T) {
	t.Parallel()
	for _, h := range hazards() {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			tr := newTree(t, true)
			// The commands may remove these tags (and gc what they reach):
			// tag rm's and prune's, and i:T21 when restore cannot.
			need := tr.needed(t, map[string]bool{"i:T21": true, "i:T52": true, or(h.tagRef, "team/app:latest"): true})
			h.apply(t, tr)
			tr.canary.age(t)
			before := tr.canary.snapshot(t)
			for _, args := range [][]string{{"check"}, {"tag", "ls"}, {"scan"}} {
				r := run(t, append([]string{"--root", tr.root}, args...)...)
				tr.canary.assertUnchanged(t, before, r.String())
				checkReport(t, h, args[0], r)
			}
			for _, c := range commands {
				r := run(t, append([]string{"--root", tr.root}, c.args(h, tr)...)...)
				tr.canary.assertUnchanged(t, before, r.String())
				checkRun(t, h, c.name, r)
			}
			if h.repair != nil {
				h.repair(t, tr)
			}
			for _, p := range need {
				if _, err := os.Stat(p); err != nil {
					t.Errorf("what a live tag needs is gone: %v", err)
				}
			}
			tr.assertWhole(t)
		})
	}
}

// checkReport fails t unless read-only command cmd (check, tag, scan)
// reported h's culprit where it must: check and scan on every hazard gc
// refuses (check exiting 1), tag ls on those h.listed says.
func checkReport(t testing.TB, h hazard, cmd string, r result) {
	t.Helper()
	if strings.Contains(r.output(), "root:x:0") {
		t.Errorf("the output shows a file outside the root:\n%s", r)
	}
	must := contains(h.refused, "gc") && cmd != "tag" && !h.locked || h.listed && cmd == "tag" || h.locked && cmd == "check"
	switch {
	case must && !names(r, h.culprit):
		t.Errorf("%s: does not name %q:\n%s", cmd, h.culprit, r)
	case must && cmd == "check" && r.Code != 1:
		t.Errorf("check: want exit 1:\n%s", r)
	}
}

// checkRun fails t unless run r of command cmd on hazard h refused,
// naming the culprit, when h says it must, and succeeded otherwise; and
// unless it kept every byte outside the root out of its output.
func checkRun(t testing.TB, h hazard, cmd string, r result) {
	t.Helper()
	if strings.Contains(r.output(), "root:x:0") {
		t.Errorf("the output shows a file outside the root:\n%s", r)
	}
	refused := contains(h.refused, cmd) || contains(h.kept, cmd)
	culprit := or(h.names[cmd], h.culprit)
	switch {
	case refused && r.Code == 0:
		t.Errorf("%s: want a refusal naming %q:\n%s", cmd, culprit, r)
	case refused && !strings.Contains(r.output(), culprit):
		t.Errorf("%s: the refusal does not name %q:\n%s", cmd, culprit, r)
	case !refused && r.Code != 0:
		t.Errorf("%s: want exit 0:\n%s", cmd, r)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hazards are the classes of issue 12, each on its own.
func hazards() []hazard {
	hs := []hazard{
		{name: "uploads-symlink", apply: func(t testing.TB, tr *tree) {
			p := filepath.Join(repoDir(tr.root, "team/app"), "_uploads")
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tr.canary.path("old"), p); err != nil {
				t.Fatal(err)
			}
		}, culprit: "_uploads"},
		{name: "repository-symlink", apply: func(t testing.TB, tr *tree) {
			copyDir(t, repoDir(tr.root, "i"), tr.canary.path("evil"))
			if err := os.Symlink(tr.canary.path("evil"), repoDir(tr.root, "evil")); err != nil {
				t.Fatal(err)
			}
		}, culprit: "repositories/evil", refused: []string{"tag-rm", "prune", "gc"}, tagRef: "evil:T11", prune: "evil", listed: true},
		{name: "repository-symlink-loop", apply: func(t testing.TB, tr *tree) {
			for _, l := range []string{"l1", "l2"} {
				if err := os.Symlink(".", filepath.Join(reposDir(tr.root), l)); err != nil {
					t.Fatal(err)
				}
			}
		}, repair: func(t testing.TB, tr *tree) {
			for _, l := range []string{"l1", "l2"} {
				os.Remove(filepath.Join(reposDir(tr.root), l))
			}
		}, culprit: "repositories/l1", refused: sweeping, listed: true},
		{name: "lock-symlink", apply: func(t testing.TB, tr *tree) {
			if err := os.Remove(regtest.LockFile(tr.root)); err != nil { // left by the setup's tag rm
				t.Fatal(err)
			}
			if err := os.Symlink(tr.canary.path("etc/nologin"), regtest.LockFile(tr.root)); err != nil {
				t.Fatal(err)
			}
		}, culprit: ".regprune.lock", locked: true, refused: []string{"tag-rm", "prune", "gc", "restore", "pulls-record"}},
	}
	// A symlinked part of repository i: tag rm i:T12 refuses when the
	// tag's path goes through it; restore i:T21 when what it checks
	// does.
	for part, refused := range map[string][]string{
		"_layers":                     {"restore", "prune", "gc"},
		"_layers/sha256":              {"restore", "prune", "gc"},
		"_manifests":                  {"restore", "tag-rm", "prune", "gc"},
		"_manifests/revisions":        {"restore", "prune", "gc"},
		"_manifests/revisions/sha256": {"restore", "prune", "gc"},
		"_manifests/tags":             {"restore", "tag-rm", "prune", "gc"},
		"_manifests/tags/T12":         {"tag-rm", "prune", "gc"},
		"_manifests/tags/T12/current": {"tag-rm", "prune", "gc"},
	} {
		name := "canary-" + strings.ReplaceAll(part, "/", "-")
		hs = append(hs, hazard{name: "repository-part-symlink:" + part, apply: func(t testing.TB, tr *tree) {
			moveOut(t, tr.canary, filepath.Join(repoDir(tr.root, "i"), part), name)
		}, culprit: "i/" + part, refused: refused, tagRef: "i:T12", listed: strings.HasPrefix(part, "_manifests/tags") || part == "_manifests"})
	}
	hs = append(hs, blobHazards()...)
	hs = append(hs, linkHazards()...)
	hs = append(hs, specialHazards()...)
	return hs
}

// blobHazards: symlinked blob directories, a blob store missing, empty
// or incomplete.
func blobHazards() []hazard {
	prefixOf := func(tr *tree) string { return filepath.Dir(tr.blobDir(tr.info.Base)) }
	away := func(path func(*tree) string, name string) func(testing.TB, *tree) {
		return func(t testing.TB, tr *tree) {
			if err := os.Rename(path(tr), tr.canary.path(name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	back := func(path func(*tree) string, name string) func(testing.TB, *tree) {
		return func(t testing.TB, tr *tree) {
			if err := os.RemoveAll(path(tr)); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(path(tr)), 0o755); err != nil { // gc removes a prefix left empty
				t.Fatal(err)
			}
			if err := os.Rename(tr.canary.path(name), path(tr)); err != nil {
				t.Fatal(err)
			}
		}
	}
	blobs := func(tr *tree) string { return blobsDir(tr.root) }
	sha := func(tr *tree) string { return filepath.Join(blobsDir(tr.root), "sha256") }
	index := func(tr *tree) string { return tr.blobDir(tr.info.Index) }
	child := func(tr *tree) string { return tr.blobDir(tr.info.Children[1]) }
	t11 := func(tr *tree) string { return tr.blobDir(tr.digest("i:T11")) }
	lost := []string{"restore", "prune", "gc"} // restore i:T21 misses its blobs
	names := map[string]string{"restore": "i:T21"}
	return []hazard{
		{name: "blob-prefix-symlink", apply: func(t testing.TB, tr *tree) {
			moveOut(t, tr.canary, prefixOf(tr), "prefix")
		}, culprit: "blobs/sha256/", refused: lost},
		{name: "blob-dir-symlink", apply: func(t testing.TB, tr *tree) {
			moveOut(t, tr.canary, tr.blobDir(tr.layer(t, "i:T11")), "blob")
		}, culprit: "blobs/sha256/", refused: sweeping},
		{name: "blob-store-missing", apply: away(blobs, "blobs-away"), repair: back(blobs, "blobs-away"),
			culprit: "blob store", refused: lost, names: names},
		{name: "blob-store-empty", apply: func(t testing.TB, tr *tree) {
			away(blobs, "blobs-away")(t, tr)
			if err := os.Mkdir(blobsDir(tr.root), 0o755); err != nil {
				t.Fatal(err)
			}
		}, repair: back(blobs, "blobs-away"), culprit: "blob store", refused: lost, names: names},
		{name: "blob-store-sha256-empty", apply: func(t testing.TB, tr *tree) {
			away(sha, "sha-away")(t, tr)
			if err := os.Mkdir(sha(tr), 0o755); err != nil {
				t.Fatal(err)
			}
		}, repair: back(sha, "sha-away"), culprit: "blob store", refused: lost, names: names},
		{name: "blob-missing-index", apply: away(index, "index-away"), repair: back(index, "index-away"),
			culprit: "team/app/api:v1", refused: sweeping},
		{name: "blob-missing-child", apply: away(child, "child-away"), repair: back(child, "child-away"),
			culprit: "team/app/api:v1", refused: sweeping},
		{name: "blob-missing-tagged", apply: away(t11, "t11-away"), repair: back(t11, "t11-away"),
			culprit: "i:T11", refused: sweeping},
	}
}

// linkHazards: a tag's current link that exists but is malformed, in
// every form seen.
func linkHazards() []hazard {
	var hs []hazard
	forms := map[string]func(d string) string{
		"newline": func(d string) string { return d + "\n" },
		"crlf":    func(d string) string { return d + "\r\n" },
		"spaces":  func(d string) string { return "  " + d },
		"upper":   func(d string) string { return "sha256:" + strings.ToUpper(strings.TrimPrefix(d, "sha256:")) },
		"short":   func(d string) string { return d[:len(d)-1] },
		"long":    func(d string) string { return d + "0" },
		"sha512":  func(d string) string { return "sha512:" + strings.Repeat(strings.TrimPrefix(d, "sha256:"), 2) },
		"empty":   func(string) string { return "" },
		"zero":    func(string) string { return "sha256:" + strings.Repeat("0", 64) },
		"binary":  func(string) string { return "\x00\xff\xfe\x01sha256:\x7f" },
		"large":   func(d string) string { return strings.Repeat(d, 2000) },
	}
	for form, content := range forms {
		hs = append(hs, hazard{name: "tag-link-" + form, apply: func(t testing.TB, tr *tree) {
			if err := os.WriteFile(tr.tagLink("i:T11"), []byte(content(tr.digest("i:T11").String())), 0o644); err != nil {
				t.Fatal(err)
			}
		}, repair: func(t testing.TB, tr *tree) { tr.repairLink(t, "i:T11") },
			culprit: "i:T11", refused: sweeping, listed: true})
	}
	symlinked := func(target func(tr *tree) string) func(testing.TB, *tree) {
		return func(t testing.TB, tr *tree) {
			if err := os.Remove(tr.tagLink("i:T11")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target(tr), tr.tagLink("i:T11")); err != nil {
				t.Fatal(err)
			}
		}
	}
	repair := func(t testing.TB, tr *tree) { tr.repairLink(t, "i:T11") }
	hs = append(hs,
		hazard{name: "tag-link-symlink-outside", apply: symlinked(func(tr *tree) string { return tr.canary.path("etc/passwd") }),
			repair: repair, culprit: "i:T11", refused: sweeping, listed: true},
		hazard{name: "tag-link-symlink-valid", apply: func(t testing.TB, tr *tree) {
			regtest.WriteLink(t, tr.canary.path("link"), tr.digest("i:T11").String())
			symlinked(func(tr *tree) string { return tr.canary.path("link") })(t, tr)
		}, repair: repair, culprit: "i:T11", refused: sweeping, listed: true},
		hazard{name: "tag-link-symlink-zero", apply: symlinked(func(*tree) string { return "/dev/zero" }),
			repair: repair, culprit: "i:T11", refused: sweeping, listed: true},
		hazard{name: "tag-link-fifo", apply: func(t testing.TB, tr *tree) { mkfifo(t, tr.tagLink("i:T11")) },
			repair: repair, culprit: "i:T11", refused: sweeping, listed: true},
		hazard{name: "tag-link-dir", apply: func(t testing.TB, tr *tree) {
			p := tr.tagLink("i:T11")
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}, repair: repair, culprit: "i:T11", refused: sweeping, listed: true},
	)
	return hs
}

// specialHazards: named pipes and sockets where links or directories
// should be, stray entries and odd names.
func specialHazards() []hazard {
	return []hazard{
		{name: "fifo-revision-link", apply: func(t testing.TB, tr *tree) {
			mkfifo(t, regtest.RevisionLink(tr.root, "i", tr.digest("i:T11")))
		}, repair: func(t testing.TB, tr *tree) {
			p := regtest.RevisionLink(tr.root, "i", tr.digest("i:T11"))
			os.Remove(p)
			regtest.WriteLink(t, p, tr.digest("i:T11").String())
		}, culprit: "revisions/sha256", kept: sweeping},
		{name: "fifo-layer-link", apply: func(t testing.TB, tr *tree) {
			mkfifo(t, regtest.LayerLink(tr.root, "i", tr.layer(t, "i:T11")))
		}, repair: func(t testing.TB, tr *tree) {
			d := tr.layer(t, "i:T11")
			p := regtest.LayerLink(tr.root, "i", d)
			os.Remove(p)
			regtest.WriteLink(t, p, d.String())
		}, culprit: "_layers/sha256"},
		{name: "fifo-tag-index-link", apply: func(t testing.TB, tr *tree) {
			mkfifo(t, regtest.TagIndexLink(tr.root, "i", "T11", tr.digest("i:T11")))
			// Tag histories are read when a repository loses revisions: by
			// prune's gc here, not by the gc after it (nothing left to lose).
		}, culprit: "index/sha256", kept: []string{"prune"}},
		{name: "special-files-in-tree", apply: func(t testing.TB, tr *tree) {
			mksocket(t, filepath.Join(reposDir(tr.root), "sock"))
			mkfifo(t, filepath.Join(reposDir(tr.root), "team", "pipe"))
			mkfifo(t, filepath.Join(filepath.Dir(tr.blobDir(tr.info.Base)), "pipe"))
			mkfifo(t, filepath.Join(blobsDir(tr.root), "sha256", "pipe"))
			mkfifo(t, filepath.Join(repoDir(tr.root, "i"), "_manifests", "tags", "pipe"))
		}, repair: func(t testing.TB, tr *tree) {
			// The registry lists it as a tag, and fails serving it (500).
			os.Remove(filepath.Join(repoDir(tr.root, "i"), "_manifests", "tags", "pipe"))
		}, culprit: "pipe"},
		{name: "odd-names", apply: func(t testing.TB, tr *tree) {
			for _, d := range []string{"lost+found", "café", "a:b", ".hidden", "sp ace", "new\nline", "UPPER", "team/_x"} {
				if err := os.MkdirAll(filepath.Join(reposDir(tr.root), d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			regtest.WriteFile(t, filepath.Join(reposDir(tr.root), "NOTES"), []byte("notes\n"))
			regtest.WriteFile(t, filepath.Join(reposDir(tr.root), "café", "README"), []byte("x\n"))
			regtest.WriteFile(t, filepath.Join(blobsDir(tr.root), "sha256", "README"), []byte("x\n"))
			if err := os.MkdirAll(filepath.Join(blobsDir(tr.root), "sha256", "zz", "not-a-blob"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(repoDir(tr.root, "i"), "_manifests", "tags", "bad:name"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, repair: func(t testing.TB, tr *tree) {
			// The registry lists it as a tag, and cannot serve it (404).
			os.Remove(filepath.Join(repoDir(tr.root, "i"), "_manifests", "tags", "bad:name"))
		}, culprit: "repositories"},
		{name: "data-under-odd-name", apply: func(t testing.TB, tr *tree) {
			// i's only copy, renamed out of the grammar: no tag reaches its
			// blobs, and yet they are data someone may still need.
			if err := os.Rename(repoDir(tr.root, "i"), filepath.Join(reposDir(tr.root), "a..b")); err != nil {
				t.Fatal(err)
			}
		}, repair: func(t testing.TB, tr *tree) {
			if err := os.Rename(filepath.Join(reposDir(tr.root), "a..b"), repoDir(tr.root, "i")); err != nil {
				t.Fatal(err)
			}
		}, culprit: "a..b", prune: "team/app", refused: []string{"restore"}, names: map[string]string{"restore": "i:T21"}},
	}
}
