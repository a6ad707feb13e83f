//go:build linux

package storage

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
)

// Benchmarks of the confined filesystem driver against the path-based
// system calls it replaced (os.Stat, unlink and rmdir of the full path,
// as the driver made them before: "paths"), on blob leaves spread over
// the 256 prefix directories, b.N leaves an iteration (ns/op is per leaf):
//
//	go test -run '^$' -bench Leaves -benchtime 20000x ./storage

// leafTree writes n blob leaves under a new root and opens it.
func leafTree(b *testing.B, n int) (*Storage, []Leaf) {
	b.Helper()
	root := b.TempDir()
	leaves := make([]Leaf, n)
	for i := range leaves {
		var d Digest
		binary.BigEndian.PutUint64(d[:], uint64(i)*0x9e3779b97f4a7c15)
		leaves[i] = BlobLeaf(d)
		p := filepath.Join(root, filepath.FromSlash(BlobDataPath(d)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(RepositoriesPath())), 0o755); err != nil {
		b.Fatal(err)
	}
	st, err := Open(context.Background(), Location{Root: root, How: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	sortLeaves(leaves)
	return st, leaves
}

// sortLeaves sorts by directory, as gc gives them.
func sortLeaves(ls []Leaf) { sort.Slice(ls, func(i, j int) bool { return ls[i].Dir < ls[j].Dir }) }

func BenchmarkStatLeaves(b *testing.B) {
	ctx := context.Background()
	b.Run("confined", func(b *testing.B) {
		st, leaves := leafTree(b, b.N)
		b.ResetTimer()
		if _, err := st.StatLeaves(ctx, len(leaves), 16, func(i int) Leaf { return leaves[i] }); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("paths", func(b *testing.B) {
		st, leaves := leafTree(b, b.N)
		b.ResetTimer()
		err := Each(ctx, len(leaves), 16, func(_ context.Context, i int) error {
			_, err := os.Stat(filepath.Join(st.LocalRoot, leaves[i].Dir, leaves[i].File))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkDeleteLeaves(b *testing.B) {
	ctx := context.Background()
	b.Run("confined", func(b *testing.B) {
		st, leaves := leafTree(b, b.N)
		b.ResetTimer()
		if err := st.DeleteLeaves(ctx, len(leaves), 16, func(i int) Leaf { return leaves[i] }, func(int) {}); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("paths", func(b *testing.B) {
		st, leaves := leafTree(b, b.N)
		b.ResetTimer()
		err := EachInRanges(ctx, len(leaves), 16, func(_ context.Context, i int) error {
			dir := st.LocalRoot + leaves[i].Dir
			if err := syscall.Unlink(dir + "/" + leaves[i].File); err != nil {
				return err
			}
			return syscall.Rmdir(dir)
		})
		if err != nil {
			b.Fatal(err)
		}
	})
}
