package faults

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/filesystem"
)

func newDriver(t *testing.T) *Driver {
	t.Helper()
	return Wrap(filesystem.New(filesystem.DriverParameters{RootDirectory: t.TempDir(), MaxThreads: 25}))
}

func TestCountsAndFailsTheNthCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDriver(t).FailNth(PutContent, 2).FailNth(Delete, 1)
	if err := d.PutContent(ctx, "/a/one", []byte("1")); err != nil {
		t.Fatal(err)
	}
	err := d.PutContent(ctx, "/a/two", []byte("2"))
	if !errors.Is(err, ErrInjected) || !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "/a/two") {
		t.Fatalf("second PutContent: %v, want an injected EIO naming /a/two", err)
	}
	if _, err := d.Stat(ctx, "/a/two"); !errors.As(err, new(driver.PathNotFoundError)) {
		t.Fatalf("a failed PutContent reached the driver: Stat says %v", err)
	}
	if err := d.Delete(ctx, "/a/one"); !errors.Is(err, ErrInjected) {
		t.Fatalf("first Delete: %v, want injected", err)
	}
	if b, err := d.GetContent(ctx, "/a/one"); err != nil || string(b) != "1" {
		t.Fatalf("a failed Delete changed the storage: %q, %v", b, err)
	}
	if err := d.Delete(ctx, "/a/one"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	want := map[Kind]int{PutContent: 2, Stat: 1, Delete: 2, GetContent: 1}
	got := d.Counts()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d calls counted, want %d (all: %s)", k, got[k], n, d)
		}
	}
	inj := d.Injected()
	if len(inj) != 2 || inj[0] != (Injection{PutContent, 2, "/a/two"}) || inj[1] != (Injection{Delete, 1, "/a/one"}) {
		t.Fatalf("injected: %v", inj)
	}
}

func TestFailAllWritesLeavesReadsWorking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDriver(t)
	if err := d.PutContent(ctx, "/x/y", []byte("y")); err != nil {
		t.Fatal(err)
	}
	d.FailAll(WriteKinds...)
	for name, f := range map[string]func() error{
		"PutContent": func() error { return d.PutContent(ctx, "/x/z", nil) },
		"Writer":     func() error { _, err := d.Writer(ctx, "/x/w", false); return err },
		"Move":       func() error { return d.Move(ctx, "/x/y", "/x/m") },
		"Delete":     func() error { return d.Delete(ctx, "/x/y") },
	} {
		if err := f(); !errors.Is(err, ErrInjected) {
			t.Errorf("%s: %v, want injected", name, err)
		}
	}
	if names, err := d.List(ctx, "/x"); err != nil || len(names) != 1 || names[0] != "/x/y" {
		t.Fatalf("List after failed writes: %v, %v", names, err)
	}
}

func TestWalkFailsHalfWay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDriver(t)
	for _, p := range []string{"/w/a", "/w/b", "/w/c"} {
		if err := d.PutContent(ctx, p, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	d.FailNth(WalkEntry, 2)
	var seen []string
	err := d.Walk(ctx, "/w", func(fi driver.FileInfo) error { seen = append(seen, fi.Path()); return nil })
	if !errors.Is(err, ErrInjected) || len(seen) != 1 {
		t.Fatalf("walk: %v after %v, want an injected error after one entry", err, seen)
	}
	if c := d.Counts(); c[Walk] != 1 || c[WalkEntry] != 2 {
		t.Fatalf("counts: %s", d)
	}
}

// leafDriver is a driver with a DeleteLeaf of its own (as regprune's
// filesystem driver has), recording the calls that reach it.
type leafDriver struct {
	driver.StorageDriver
	leaves []string
}

func (l *leafDriver) DeleteLeaf(ctx context.Context, dir, file string) error {
	l.leaves = append(l.leaves, dir+"|"+file)
	return l.StorageDriver.Delete(ctx, dir)
}

// DeleteLeaf is a Delete to count and fail, and reaches the wrapped
// driver's DeleteLeaf, or its Delete when it has none.
func TestDeleteLeafIsADelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner := &leafDriver{StorageDriver: filesystem.New(filesystem.DriverParameters{RootDirectory: t.TempDir(), MaxThreads: 25})}
	d := Wrap(inner).FailNth(Delete, 1)
	for _, p := range []string{"/r/one/link", "/r/two/link"} {
		if err := d.PutContent(ctx, p, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.DeleteLeaf(ctx, "/r/one", "link"); !errors.Is(err, ErrInjected) {
		t.Fatalf("first DeleteLeaf: %v, want injected", err)
	}
	if err := d.DeleteLeaf(ctx, "/r/two", "link"); err != nil {
		t.Fatal(err)
	}
	if len(inner.leaves) != 1 || inner.leaves[0] != "/r/two|link" {
		t.Errorf("wrapped DeleteLeaf got %v, want only /r/two|link", inner.leaves)
	}
	if got := d.Counts()[Delete]; got != 2 {
		t.Errorf("%d Deletes counted, want 2", got)
	}
	plain := newDriver(t)
	if err := plain.PutContent(ctx, "/r/three/link", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := plain.DeleteLeaf(ctx, "/r/three", "link"); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Stat(ctx, "/r/three"); !errors.As(err, new(driver.PathNotFoundError)) {
		t.Errorf("DeleteLeaf without a wrapped DeleteLeaf left /r/three: %v", err)
	}
}
