package regtest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// recorder is a testing.TB that records failures instead of failing the
// real test, to check that assertions do fail.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) Helper() {}
func (r *recorder) Fail()   { r.mu.Lock(); r.failed = true; r.mu.Unlock() }
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}
func (r *recorder) Error(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }

// failures runs f with a recorder (in its own goroutine, so that Fatal
// stops only f) and returns what it reported.
func failures(t *testing.T, f func(tb testing.TB)) []string {
	t.Helper()
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rec)
	}()
	<-done
	if !rec.Failed() {
		return nil
	}
	if len(rec.msgs) == 0 {
		return []string{"(failed without a message)"}
	}
	return rec.msgs
}

// mustFail fails t unless f reports a failure mentioning want.
func mustFail(t *testing.T, want string, f func(tb testing.TB)) {
	t.Helper()
	msgs := failures(t, f)
	if len(msgs) == 0 {
		t.Fatalf("assertion did not fail, want a failure mentioning %q", want)
	}
	if all := strings.Join(msgs, "\n"); !strings.Contains(all, want) {
		t.Fatalf("failure does not mention %q:\n%s", want, all)
	}
}

func TestPushAndAssertWhole(t *testing.T) {
	t.Parallel()
	r := Start(t, t.TempDir())
	base := RandomLayer(t, 300)
	img := r.PushImage(t, "team/app:v1", WithSharedLayers(base))
	amd := NewImage(t, WithSharedLayers(base), WithPlatform("linux", "amd64"))
	arm := NewImage(t, WithSharedLayers(base), WithPlatform("linux", "arm/v7"), WithOCI())
	idx := r.PushIndex(t, "team/app/api:v1", amd, arm)
	r.PushIndexOf(t, "a/b/c:nested", idx)
	r.Tag(t, "team/app:v1", "v1-copy")
	r.PushReferrer(t, "team/app", DigestOf(t, img))
	r.PushCosignSignature(t, "team/app", DigestOf(t, img))

	if msgs := failures(t, r.AssertAllTagsWhole); msgs != nil {
		t.Fatalf("AssertAllTagsWhole failed on a freshly pushed registry:\n%s", strings.Join(msgs, "\n"))
	}
	want := map[string]string{
		"team/app":     "sha256-" + DigestOf(t, img).Hex + ",sha256-" + DigestOf(t, img).Hex + ".sig,v1,v1-copy",
		"team/app/api": "v1",
		"a/b/c":        "nested",
	}
	got := r.Tags(t)
	for repo, tags := range want {
		if g := strings.Join(got[repo], ","); g != tags {
			t.Errorf("tags of %s = %q, want %q", repo, g, tags)
		}
	}
	AssertExists(t, LayerLink(r.Root, "team/app/api", DigestOf(t, base)), BlobFile(r.Root, DigestOf(t, base)),
		RevisionLink(r.Root, "a/b/c", DigestOf(t, amd)))
}

func TestReferrerFallbackTag(t *testing.T) {
	t.Parallel()
	r := Start(t, t.TempDir())
	img := r.PushImage(t, "app:v1")
	subject := DigestOf(t, img)
	a1 := r.PushReferrer(t, "app", subject)
	a2 := r.PushReferrer(t, "app", subject)
	if DigestOf(t, a1) == DigestOf(t, a2) {
		t.Fatalf("two referrers of one subject have one digest %s", DigestOf(t, a1))
	}
	m, err := a1.Manifest()
	if err != nil || m.Subject == nil || m.Subject.Digest != subject {
		t.Fatalf("referrer manifest subject = %+v, %v; want %s", m, err, subject)
	}
	// The fallback tag is on disk and its index lists both artifacts.
	link, err := os.ReadFile(TagLink(r.Root, "app", FallbackTag(subject)))
	if err != nil {
		t.Fatalf("fallback tag not written: %v", err)
	}
	fallback, err := v1.NewHash(string(link))
	if err != nil {
		t.Fatalf("fallback tag link %q: %v", link, err)
	}
	raw, err := os.ReadFile(BlobFile(r.Root, fallback))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []v1.Image{a1, a2} {
		if !strings.Contains(string(raw), DigestOf(t, a).String()) {
			t.Errorf("fallback index %s does not list %s:\n%s", fallback, DigestOf(t, a), raw)
		}
	}
	r.AssertAllTagsWhole(t)
}

func TestDamageMakesAssertionsFail(t *testing.T) {
	t.Parallel()
	r := Start(t, t.TempDir())
	var imgs []v1.Image
	for i := range 4 {
		imgs = append(imgs, r.PushImage(t, fmt.Sprintf("d:t%d", i)))
	}
	layer := func(i int) v1.Hash { return BlobsOf(t, imgs[i])[1] }
	DeleteBlob(t, r.Root, layer(0))
	TruncateBlob(t, r.Root, layer(1))
	FlipByte(t, r.Root, layer(2))
	WriteTagLink(t, r.Root, "d", "t3", DigestOf(t, imgs[3]).String()+"\n")
	for i := range 4 {
		mustFail(t, fmt.Sprintf("d:t%d", i), func(tb testing.TB) { r.AssertWhole(tb, fmt.Sprintf("d:t%d", i)) })
	}
	mustFail(t, "d:t2", r.AssertAllTagsWhole)
	mustFail(t, "d:t0 still pulls", func(tb testing.TB) { r.AssertGone(tb, "d:t0") })
	mustFail(t, "want 404 MANIFEST_UNKNOWN", func(tb testing.TB) { r.AssertGone(tb, "d:t3") })
}

func TestAssertGone(t *testing.T) {
	t.Parallel()
	r := Start(t, t.TempDir())
	img := r.PushImage(t, "g:keep")
	child := NewImage(t, WithPlatform("linux", "amd64"))
	r.PushIndex(t, "g:idx", child)
	r.DeleteManifest(t, "g", DigestOf(t, child))
	r.AssertGone(t, "g@"+DigestOf(t, child).String())
	r.AssertGone(t, "g:never")
	r.AssertGone(t, "nosuchrepo:x")
	mustFail(t, "g:idx", func(tb testing.TB) { r.AssertWhole(tb, "g:idx") })
	mustFail(t, "still pulls", func(tb testing.TB) { r.AssertGone(tb, "g:keep") })
	AssertMissing(t, RevisionLink(r.Root, "g", DigestOf(t, child)))
	AssertExists(t, RevisionLink(r.Root, "g", DigestOf(t, img)))
}

func TestSnapshotDetectsChanges(t *testing.T) {
	t.Parallel()
	r := Start(t, t.TempDir())
	img := r.PushImage(t, "s:v1")
	before := Snapshot(t, r.Root)
	if len(before) < 10 {
		t.Fatalf("snapshot of a pushed registry has only %d entries", len(before))
	}
	AssertUnchanged(t, r.Root, before)
	FlipByte(t, r.Root, BlobsOf(t, img)[1])
	mustFail(t, "~ docker/registry/v2/blobs/sha256/", func(tb testing.TB) { AssertUnchanged(tb, r.Root, before) })

	root := CopyTree(t, r.Root)
	copied := Snapshot(t, root)
	if d := copied.Diff(Snapshot(t, r.Root)); d != nil {
		t.Fatalf("CopyTree differs from its source:\n%s", strings.Join(d, "\n"))
	}
	if err := os.WriteFile(LockFile(root), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	SetPushed(t, root, "s", "v1", time.Unix(1e9, 0)) // times are not content
	d := copied.Diff(Snapshot(t, root))
	if len(d) != 2 || d[0] != "~ docker/registry/v2: "+copied["docker/registry/v2"].String()+" -> "+
		Snapshot(t, root)["docker/registry/v2"].String() || !strings.HasPrefix(d[1], "+ docker/registry/v2/.regprune.lock (file 0 bytes") {
		t.Fatalf("diff after creating the lock file:\n%s", strings.Join(d, "\n"))
	}
}

func TestUploadsAndOrphanBlobs(t *testing.T) {
	t.Parallel()
	r := Start(t, t.TempDir())
	empty := r.StartUpload(t, "u/p", nil)
	partial := r.StartUpload(t, "u/p", []byte("half a layer"))
	for _, id := range []string{empty, partial} {
		AssertExists(t, filepath.Join(UploadDir(r.Root, "u/p", id), "startedat"))
	}
	data, err := os.ReadFile(filepath.Join(UploadDir(r.Root, "u/p", partial), "data"))
	if err != nil || string(data) != "half a layer" {
		t.Errorf("upload %s data = %q, %v", partial, data, err)
	}
	d := r.PushBlob(t, "u/p", []byte("orphan"))
	AssertExists(t, BlobFile(r.Root, d), LayerLink(r.Root, "u/p", d))
	AssertMissing(t, RevisionLink(r.Root, "u/p", d))
	if got := r.Tags(t)["u/p"]; len(got) != 0 {
		t.Errorf("tags of u/p = %v, want none", got)
	}
}

func TestPushByDigestAndCorruptManifest(t *testing.T) {
	t.Parallel()
	r := Start(t, t.TempDir())
	child := NewImage(t, WithPlatform("linux", "amd64"), WithOCI())
	tagged := r.PushIndex(t, "x/y:v1", child)
	untagged := r.PushIndex(t, "x/y", child, NewImage(t, WithPlatform("linux", "arm64"), WithOCI()))
	img := r.PushImage(t, "x/y", WithLayers(0, 0))
	for _, d := range []v1.Hash{DigestOf(t, untagged), DigestOf(t, img)} {
		r.AssertWhole(t, "x/y@"+d.String())
	}
	if got := r.Tags(t)["x/y"]; len(got) != 1 || got[0] != "v1" {
		t.Fatalf("tags of x/y = %v, want [v1]", got)
	}
	WriteBlobData(t, r.Root, DigestOf(t, tagged), []byte("{not json"))
	mustFail(t, "x/y:v1", func(tb testing.TB) { r.AssertWhole(tb, "x/y:v1") })
	WriteLink(t, RevisionLink(r.Root, "x/y", DigestOf(t, img)), "sha256:0")
	mustFail(t, "x/y@"+DigestOf(t, img).String(), func(tb testing.TB) { r.AssertWhole(tb, "x/y@"+DigestOf(t, img).String()) })
}
