package commands

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// served is a private copy of the sample registry, served by a real
// registry for the pull checks.
func served(t *testing.T) (*regtest.Registry, regtest.SampleInfo) {
	t.Helper()
	root, info := regtest.LoadSample(t)
	return regtest.Start(t, root), info
}

// TestTagRmSeedCase: removing T12 (whose manifest T13 shares), T22 and T52
// removes those three tags and nothing else: T13 still pulls whole, and so
// does every other tag; manifests and blobs all stay.
func TestTagRmSeedCase(t *testing.T) {
	t.Parallel()
	r, info := served(t)
	before := regtest.Snapshot(t, r.Root)
	res := mustRun(t, 0, "--root", r.Root, "tag", "rm", "i:T12", "i:T22", "i:T52")

	for _, tag := range []string{"T12", "T22", "T52"} {
		want := "removed  i:" + tag + "  " + info.Tags["i:"+tag].String()
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("output does not say %q:\n%s", want, res.Stdout)
		}
		r.AssertGone(t, "i:"+tag)
		regtest.AssertMissing(t, regtest.TagDir(r.Root, "i", tag))
		regtest.AssertExists(t, regtest.RevisionLink(r.Root, "i", info.Tags["i:"+tag]), regtest.BlobFile(r.Root, info.Tags["i:"+tag]))
	}
	if !strings.HasSuffix(res.Stdout, "removed 3 tags from 1 repository; manifests and blobs stay until gc\n") {
		t.Errorf("no summary line:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Stderr, "regprune: using filesystem storage "+r.Root+" (from --root)") {
		t.Errorf("stderr does not say which storage:\n%s", res.Stderr)
	}
	r.AssertWhole(t, "i:T13")
	r.AssertAllTagsWhole(t)
	assertOnlyTagsGone(t, r.Root, before, "i:T12", "i:T22", "i:T52")
}

// assertOnlyTagsGone fails unless the difference between the trees is the
// removal of exactly the given tag directories (and the changed listing of
// their parents), plus the lock file and one journal record, which
// records exactly those tags.
func assertOnlyTagsGone(t *testing.T, root string, before regtest.Tree, refs ...string) {
	t.Helper()
	after := regtest.Snapshot(t, root)
	var gone []string
	for _, d := range before.Diff(after) {
		p, kind, _ := strings.Cut(d[2:], " ")
		switch {
		case strings.HasPrefix(d, "+ ") && strings.HasSuffix(p, "/.regprune.lock"):
		case strings.HasPrefix(d, "+ ") && (p == "docker/registry/v2/.regprune" || strings.HasPrefix(p, regtest.JournalPath)):
			// the journal: checked below
		case strings.HasPrefix(d, "~ ") && (strings.HasSuffix(p, "/_manifests/tags:") || strings.HasSuffix(p, "/v2:")):
		case strings.HasPrefix(d, "- ") && strings.Contains(p, "/_manifests/tags/"):
			repo, tag, _ := strings.Cut(strings.TrimPrefix(p, "docker/registry/v2/repositories/"), "/_manifests/tags/")
			if !strings.Contains(tag, "/") && strings.HasPrefix(kind, "(dir") {
				gone = append(gone, repo+":"+tag)
			}
		default:
			t.Errorf("unexpected change: %s", d)
		}
	}
	slices.Sort(gone)
	slices.Sort(refs)
	if !slices.Equal(gone, refs) {
		t.Errorf("tag directories removed: %q, want %q", gone, refs)
	}
	if recorded := journaledTags(t, root, before, after); !slices.Equal(recorded, refs) {
		t.Errorf("the journal records %q, want %q", recorded, refs)
	}
}

// tagRmJSON is tag rm's --json document.
type tagRmJSON struct {
	DryRun  bool `json:"dry_run"`
	Removed []struct {
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
		Digest     string `json:"digest"`
	} `json:"removed"`
}

func TestTagRmGlobs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		gone []string
	}{
		{[]string{"i:T?2"}, []string{"i:T12", "i:T22", "i:T52"}},
		{[]string{"i*:T[25]*", "i:T21"}, []string{"i:T21", "i:T22", "i:T51", "i:T52"}}, // overlapping REFs: each tag once
		{[]string{"team/*:v*"}, []string{"team/app:v1"}},                               // * does not reach team/app/api
		{[]string{"*/*/*:*.0"}, []string{"a/b/c:1.0"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r, _ := served(t)
			before := regtest.Snapshot(t, r.Root)
			res := mustRun(t, 0, append([]string{"--root", r.Root, "--json", "tag", "rm"}, c.args...)...)
			var out tagRmJSON
			if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
				t.Fatalf("--json: %v\n%s", err, res.Stdout)
			}
			var got []string
			for _, rt := range out.Removed {
				got = append(got, rt.Repository+":"+rt.Tag)
			}
			if out.DryRun || !slices.Equal(got, c.gone) {
				t.Errorf("removed %q (dry_run %v), want %q", got, out.DryRun, c.gone)
			}
			for _, g := range c.gone {
				r.AssertGone(t, g)
			}
			// Nothing but those tag directories changed (the seed case
			// pulls every remaining tag whole).
			assertOnlyTagsGone(t, r.Root, before, c.gone...)
		})
	}
}

// TestTagRmNested: a repository nested in another is its own repository.
func TestTagRmNested(t *testing.T) {
	t.Parallel()
	r, info := served(t)
	res := mustRun(t, 0, "--root", r.Root, "tag", "rm", "team/app/api:v1")
	if !strings.Contains(res.Stdout, "team/app/api:v1  "+info.Index.String()) {
		t.Errorf("output:\n%s", res.Stdout)
	}
	r.AssertGone(t, "team/app/api:v1")
	for _, c := range info.Children { // the index's children stay, by digest
		r.AssertWhole(t, "team/app/api@"+c.String())
	}
	r.AssertWhole(t, "team/app:v1")
	r.AssertWhole(t, "team/app:latest")
}

// TestTagRmBadInput: every bad REF fails the whole command, names the REF,
// and leaves the storage byte for byte as it was (no lock file either).
func TestTagRmBadInput(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	before := regtest.Snapshot(t, root)
	cases := []struct {
		refs  []string
		code  int
		names string
	}{
		{[]string{"x:y"}, 1, `REF "x:y": not found: no repository "x"`},
		{[]string{"i:T12", "i:T99"}, 1, `REF "i:T99": not found: no tag "T99" in repository i`},
		{[]string{"team:v1"}, 1, `REF "team:v1"`}, // a directory, not a repository
		{[]string{"i:T9*"}, 1, `REF "i:T9*": no match`},
		{[]string{"zz*:*"}, 1, `REF "zz*:*": no match`},
		{[]string{"team/*:nope"}, 1, `REF "team/*:nope"`},
		{[]string{"i:T12", "I:T12"}, 2, `REF "I:T12"`},
		{[]string{"i:bad tag"}, 2, `REF "i:bad tag"`},
		{[]string{"i:T12", "../i:T12"}, 2, `REF "../i:T12"`},
		{[]string{"i/../team/app:v1"}, 2, `REF "i/../team/app:v1"`},
		{[]string{"/i:T12"}, 2, `REF "/i:T12"`},
		{[]string{"i/_manifests:tags"}, 2, `REF "i/_manifests:tags"`},
		{[]string{"_*:*"}, 2, `REF "_*:*"`},
		{[]string{"i:../../_layers"}, 2, `REF "i:../../_layers"`},
		{[]string{"i:.."}, 2, `REF "i:.."`},
		{[]string{"i"}, 2, `REF "i": bad name: want repository:tag`},
		{[]string{"i:["}, 2, `REF "i:["`},
		{[]string{"i@sha256:" + strings.Repeat("a", 64)}, 1, `no tag matching "i:*" points at sha256:aaaa`},
		{[]string{"i@sha256:" + strings.Repeat("a", 63)}, 2, `REF "i@sha256:`},
		{[]string{"i:T12@sha256:" + strings.Repeat("a", 64)}, 1, `tag moved: tag i:T12 points at sha256:`},
		{[]string{"127.0.0.1:5055/x:T12"}, 1, `REF "127.0.0.1:5055/x:T12": not found: no repository "x"`},
		{[]string{"bad_host.io/i:T12"}, 2, `REF "bad_host.io/i:T12"`},
		{nil, 2, "give at least one REF"},
	}
	for _, c := range cases {
		for _, dry := range []bool{false, true} {
			args := []string{"--root", root, "tag", "rm"}
			if dry {
				args = append(args, "--dry-run")
			}
			res := mustRun(t, c.code, append(args, c.refs...)...)
			if !strings.Contains(res.Stderr, c.names) || res.Stdout != "" {
				t.Errorf("tag rm %q: stderr does not name %q, or stdout not empty:\n%s%s", c.refs, c.names, res.Stderr, res.Stdout)
			}
		}
	}
	// Two bad REFs: both named.
	res := mustRun(t, 1, "--root", root, "tag", "rm", "x:1", "i:T12", "y:2")
	if !strings.Contains(res.Stderr, `"x:1"`) || !strings.Contains(res.Stderr, `"y:2"`) {
		t.Errorf("two bad REFs, stderr:\n%s", res.Stderr)
	}
	regtest.AssertUnchanged(t, root, before)
}

func TestTagRmDryRun(t *testing.T) {
	t.Parallel()
	root, info := regtest.LoadSample(t)
	before := regtest.Snapshot(t, root)
	res := mustRun(t, 0, "--root", root, "tag", "rm", "--dry-run", "i:T?2")
	want := "would remove  i:T12  " + info.Tags["i:T12"].String() + "\n" +
		"would remove  i:T22  " + info.Tags["i:T22"].String() + "\n" +
		"would remove  i:T52  " + info.Tags["i:T52"].String() + "\n" +
		"dry run: would remove 3 tags from 1 repository; nothing changed\n"
	if res.Stdout != want {
		t.Errorf("dry run output:\n%s\nwant:\n%s", res.Stdout, want)
	}
	res = mustRun(t, 0, "--root", root, "--json", "tag", "rm", "-n", "i:T12", "a/b/c:*")
	var out map[string]any
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out["dry_run"] != true || len(out["removed"].([]any)) != 3 {
		t.Errorf("--json dry run: %s", res.Stdout)
	}
	first := out["removed"].([]any)[0].(map[string]any)
	if first["repository"] != "a/b/c" || first["tag"] != "1.0" || first["digest"] != info.Tags["a/b/c:1.0"].String() {
		t.Errorf("--json removed[0] = %v", first)
	}
	regtest.AssertUnchanged(t, root, before)
	if _, err := os.Stat(regtest.LockFile(root)); !os.IsNotExist(err) {
		t.Errorf("dry run created the lock file: %v", err)
	}
}

// TestTagRmTagWithoutLink: a tag directory whose current link is gone is
// still a tag (tags/list shows it) and can be removed.
func TestTagRmTagWithoutLink(t *testing.T) {
	t.Parallel()
	root, _ := regtest.LoadSample(t)
	if err := os.Remove(regtest.TagLink(root, "i", "T11")); err != nil {
		t.Fatal(err)
	}
	regtest.WriteTagLink(t, root, "i", "T21", "sha256:"+strings.Repeat("0", 64)+"\n")
	res := mustRun(t, 0, "--root", root, "tag", "rm", "i:T11", "i:T21")
	if !strings.Contains(res.Stdout, "removed  i:T11  -\n") || !strings.Contains(res.Stdout, "removed  i:T21  -\n") {
		t.Errorf("output:\n%s", res.Stdout)
	}
	regtest.AssertMissing(t, regtest.TagDir(root, "i", "T11"), regtest.TagDir(root, "i", "T21"))
}
