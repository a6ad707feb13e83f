package hostile

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// TestRandomTrees is the property test of issue 12: seeded random
// mutations of the sample (symbolic links out of the root and within
// it, named pipes and sockets, stray entries, odd names, malformed and
// linked current links, a linked lock), every changing command run on
// each, and both promises asserted: the canary outside the root is
// unchanged, and everything the sample's tags reached (blob data,
// revision and layer links; the tags the commands remove aside) is still
// there. 30 trees; REGPRUNE_STRESS=1 runs 300. A failure names the seed:
// REGPRUNE_SEED=<seed> runs that tree alone.
func TestRandomTrees(t *testing.T) {
	t.Parallel()
	n, first := 30, int64(1)
	if os.Getenv("REGPRUNE_STRESS") != "" {
		n = 300
	}
	if s := os.Getenv("REGPRUNE_SEED"); s != "" {
		if _, err := fmt.Sscan(s, &first); err != nil {
			t.Fatalf("REGPRUNE_SEED=%q: %v", s, err)
		}
		n = 1
	}
	for seed := first; seed < first+int64(n); seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			randomTree(t, seed)
		})
	}
}

// removedByRun are the tags the commands of randomTree may remove.
var removedByRun = map[string]bool{"i:T22": true, "team/app:latest": true}

func randomTree(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	tr := newTree(t, false)
	need := tr.needed(t, removedByRun)
	var did []string
	for k := 1 + rng.Intn(4); k > 0; k-- {
		m := mutations[rng.Intn(len(mutations))]
		if what := m(t, tr, rng); what != "" {
			did = append(did, what)
		}
	}
	tr.canary.age(t)
	before := tr.canary.snapshot(t)
	t.Logf("seed %d: %s", seed, strings.Join(did, "; "))
	for _, args := range [][]string{
		{"tag", "rm", "i:T22"},
		{"restore", "i:T22"},
		{"tag", "rm", "i:T22"},
		{"pulls", "record", tr.log},
		{"prune", "--repo", "team/app", "--tag", "latest", "--grace", "0"},
		{"gc", "--delete-untagged", "--grace", "0", "--uploads-older-than", "0s"},
		{"check"},
		{"tag", "ls"},
	} {
		r := run(t, append([]string{"--root", tr.root}, args...)...)
		tr.canary.assertUnchanged(t, before, fmt.Sprintf("seed %d (%s): %s", seed, strings.Join(did, "; "), r))
		if strings.Contains(r.output(), "root:x:0") {
			t.Errorf("the output shows a file outside the root:\n%s", r)
		}
	}
	var lost []string
	for _, p := range need {
		if _, err := os.Stat(p); err != nil {
			lost = append(lost, p)
		}
	}
	if len(lost) > 0 {
		t.Errorf("seed %d (%s): what live tags reach is gone:\n  %s", seed, strings.Join(did, "; "), strings.Join(lost, "\n  "))
	}
}

// needed lists the files every tag of the sample needs to pull (those
// removed, those the run may remove, aside): blob data of all it reaches, and the
// revision or layer link of each in its repository.
func (tr *tree) needed(t testing.TB, removed map[string]bool) []string {
	t.Helper()
	seen := map[string]bool{}
	for tag, reach := range tr.info.Reach {
		if removed[tag] {
			continue
		}
		repo, _, _ := strings.Cut(tag, ":")
		for _, d := range reach {
			for _, p := range []string{regtest.BlobFile(tr.root, d), regtest.RevisionLink(tr.root, repo, d), regtest.LayerLink(tr.root, repo, d)} {
				if _, err := os.Lstat(p); err == nil {
					seen[p] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// A mutation changes tr at random and says what it did ("" for nothing).
type mutation func(t testing.TB, tr *tree, rng *rand.Rand) string

var mutations = []mutation{
	linkDirOut, linkDirOut, linkWithin, specialFile, strayEntry, badTagLink, badTagLink, linkedLinkFile, linkedLock,
}

// pick is one element of list at random.
func pick[T any](rng *rand.Rand, list []T) T { return list[rng.Intn(len(list))] }

// registryDirs lists the directories of the registry's layout under the
// root (not the root's own ancestors), sorted.
func (tr *tree) registryDirs(t testing.TB) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(filepath.Join(regtest.V2Dir(tr.root), "repositories"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && filepath.Base(p) != "repositories" {
			dirs = append(dirs, p)
		}
		return err
	})
	if err == nil {
		err = filepath.WalkDir(blobsDir(tr.root), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && p != blobsDir(tr.root) {
				dirs = append(dirs, p)
			}
			return err
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// linkDirOut moves a directory of the layout into the canary and links
// it back: the registry still serves through it.
func linkDirOut(t testing.TB, tr *tree, rng *rand.Rand) string {
	p := pick(rng, tr.registryDirs(t))
	moveOut(t, tr.canary, p, fmt.Sprintf("moved-%d", rng.Int63()))
	return "linked out " + rel(tr, p)
}

// linkWithin adds a symbolic link inside the root to another part of it:
// a loop, a second name for a repository, a tag, a blob directory.
func linkWithin(t testing.TB, tr *tree, rng *rand.Rand) string {
	dirs := tr.registryDirs(t)
	target, at := pick(rng, dirs), pick(rng, dirs)
	name := pick(rng, []string{"evil", "T99", "ab", "sha256", "_layers", "link"})
	p := filepath.Join(at, name)
	if _, err := os.Lstat(p); err == nil {
		return ""
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	return "linked " + rel(tr, p) + " to " + rel(tr, target)
}

// specialFile puts a named pipe or a socket in a directory of the
// layout, or in place of a link file.
func specialFile(t testing.TB, tr *tree, rng *rand.Rand) string {
	var p string
	if rng.Intn(2) == 0 {
		p = filepath.Join(pick(rng, tr.registryDirs(t)), pick(rng, []string{"link", "data", "pipe", "current", "ab"}))
		if _, err := os.Lstat(p); err == nil && rng.Intn(2) == 0 {
			return ""
		}
	} else {
		tag := pick(rng, sortedTags(tr))
		repo, _, _ := strings.Cut(tag, ":")
		d := tr.digest(tag)
		p = pick(rng, []string{tr.tagLink(tag), regtest.RevisionLink(tr.root, repo, d), regtest.TagIndexLink(tr.root, repo, strings.SplitN(tag, ":", 2)[1], d)})
	}
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		return ""
	}
	if rng.Intn(3) == 0 && len(p) < 100 {
		os.Remove(p)
		mksocket(t, p)
		return "socket at " + rel(tr, p)
	}
	mkfifo(t, p)
	return "pipe at " + rel(tr, p)
}

// strayEntry adds what the registry never writes under repositories/ or
// blobs/: files, empty or oddly named directories, a copy of a
// repository under a name outside the grammar.
func strayEntry(t testing.TB, tr *tree, rng *rand.Rand) string {
	name := pick(rng, []string{"lost+found", "café", "a:b", "NOTES", ".hidden", "UPPER", "a..b", "x/_y", "new\nline"})
	base := pick(rng, []string{reposDir(tr.root), filepath.Join(blobsDir(tr.root), "sha256"), repoDir(tr.root, "team/app")})
	p := filepath.Join(base, name)
	if _, err := os.Lstat(p); err == nil {
		return ""
	}
	switch rng.Intn(3) {
	case 0:
		regtest.WriteFile(t, p, []byte("stray\n"))
	case 1:
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	default:
		copyDir(t, repoDir(tr.root, "i"), p)
	}
	return "stray " + rel(tr, p)
}

// badTagLink writes a malformed current link for a tag.
func badTagLink(t testing.TB, tr *tree, rng *rand.Rand) string {
	tag := pick(rng, sortedTags(tr))
	d := tr.digest(tag).String()
	forms := []string{d + "\n", d + "\r\n", " " + d, strings.ToUpper(d), d[:40], d + "00", "sha512:" + d[7:] + d[7:], "", "\x00\x01\xff", strings.Repeat(d, 100)}
	p := tr.tagLink(tag)
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	if err := os.WriteFile(p, []byte(pick(rng, forms)), 0o644); err != nil {
		t.Fatal(err)
	}
	return "malformed link of " + tag
}

// linkedLinkFile makes a link file a symbolic link: to a file outside
// the root, to /dev/zero, or to a valid link elsewhere.
func linkedLinkFile(t testing.TB, tr *tree, rng *rand.Rand) string {
	tag := pick(rng, sortedTags(tr))
	p := tr.tagLink(tag)
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	valid := tr.canary.path(fmt.Sprintf("link-%d", rng.Int63()))
	regtest.WriteLink(t, valid, tr.digest(tag).String())
	target := pick(rng, []string{tr.canary.path("etc/passwd"), "/dev/zero", valid})
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	return "linked link of " + tag
}

// linkedLock makes the lock path a symbolic link to a missing file.
func linkedLock(t testing.TB, tr *tree, _ *rand.Rand) string {
	p := regtest.LockFile(tr.root)
	if _, err := os.Lstat(p); err == nil {
		return ""
	}
	if err := os.Symlink(tr.canary.path("etc/nologin"), p); err != nil {
		t.Fatal(err)
	}
	return "linked lock"
}

func sortedTags(tr *tree) []string {
	var tags []string
	for tag := range tr.info.Tags {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	return tags
}

func rel(tr *tree, p string) string {
	r, err := filepath.Rel(tr.root, p)
	if err != nil {
		return p
	}
	return fmt.Sprintf("%q", r)
}
