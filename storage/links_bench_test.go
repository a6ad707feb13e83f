//go:build linux

package storage

import (
	"context"
	"testing"

	"github.com/regprune/regprune/internal/gen"
)

// BenchmarkListLinks lists the revisions and layer links of every
// repository of a generated tree (internal/gen: 100 repositories of 20
// tags, a fifth of them multi-platform indexes, a fifth deleted, older
// pushes in history), as gc reads them: "names" is the listing gc made
// before issue 18 (ListDigests: directory names only), "links" the one it
// makes now (ListLinks: each leaf's link looked at). ns/leaf is per leaf
// listed:
//
//	go test -run '^$' -bench ListLinks -benchtime 20x ./storage
func BenchmarkListLinks(b *testing.B) {
	root := b.TempDir()
	c := gen.Defaults()
	c.Repositories, c.TagsPerRepository = 100, 20
	res, err := gen.Generate(root, c)
	if err != nil {
		b.Fatal(err)
	}
	st, err := Open(context.Background(), Location{Root: root, How: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	leaves := float64(res.Revisions + res.LayerLinks)
	list := func(b *testing.B, f func(dir string) (int, error)) {
		for b.Loop() {
			n := 0
			for _, repo := range res.Repositories {
				for _, dir := range []string{RevisionsPath(repo), LayerLinksPath(repo)} {
					k, err := f(dir)
					if err != nil {
						b.Fatal(err)
					}
					n += k
				}
			}
			if n != res.Revisions+res.LayerLinks {
				b.Fatalf("listed %d leaves, the tree has %d", n, res.Revisions+res.LayerLinks)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/leaves, "ns/leaf")
	}
	b.Run("names", func(b *testing.B) {
		list(b, func(dir string) (int, error) {
			ds, err := st.ListDigests(ctx, dir)
			return len(ds), err
		})
	})
	b.Run("links", func(b *testing.B) {
		list(b, func(dir string) (int, error) {
			l, err := st.ListLinks(ctx, dir)
			return len(l.Linked), err
		})
	})
}
