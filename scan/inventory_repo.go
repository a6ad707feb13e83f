package scan

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// repoNames is what one repository's directories hold.
type repoNames struct {
	tags, uploads []string
	// revs are the revisions whose link is there, well-formed or not
	// (storage.Links.Present: a malformed one is kept, as gc keeps it);
	// served counts the well-formed ones, the manifests the registry
	// serves. links are the layer links that are there.
	revs, links []storage.Digest
	served      int
	present     map[storage.Digest]bool // revs, as a set
	targets     []storage.Digest        // tags' current manifests (readable links only)
}

func (in *inventory) list(ctx context.Context, repo string) (*repoNames, error) {
	n := &repoNames{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		return in.io(gctx, func() error { n.tags, err = in.st.ListNames(gctx, storage.TagsPath(repo)); return err })
	})
	g.Go(func() error {
		return in.io(gctx, func() error {
			revs, err := in.st.ListLinks(gctx, storage.RevisionsPath(repo))
			n.revs, n.served = revs.Present(), len(revs.Linked)
			return err
		})
	})
	g.Go(func() error {
		return in.io(gctx, func() error {
			links, err := in.st.ListLinks(gctx, storage.LayerLinksPath(repo))
			n.links = links.Present()
			return err
		})
	})
	g.Go(func() (err error) {
		return in.io(gctx, func() error { n.uploads, err = in.st.ListNames(gctx, storage.UploadsPath(repo)); return err })
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	n.present = make(map[storage.Digest]bool, len(n.revs))
	for _, d := range n.revs {
		n.present[d] = true
	}
	targets := make([]storage.Digest, len(n.tags))
	g, gctx = errgroup.WithContext(ctx)
	for i, tag := range n.tags {
		g.Go(func() error {
			return in.io(gctx, func() error {
				d, err := in.st.ReadLink(gctx, storage.TagCurrentLinkPath(repo, tag))
				if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrBadLink) {
					return nil // a broken tag references nothing; check reports it
				}
				targets[i] = d
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, d := range targets {
		if !d.IsZero() {
			n.targets = append(n.targets, d)
		}
	}
	return n, nil
}

// readRepository counts one repository and records every digest it
// references (revisions, layer links, and all their manifests reference,
// children at any depth) in the registry-wide blob table.
func (in *inventory) readRepository(ctx context.Context, idx int32, repo string) (*RepositoryUsage, error) {
	n, err := in.list(ctx, repo)
	if err != nil {
		return nil, err
	}
	in.prefetch(ctx, n.revs)
	refs := make(map[storage.Digest]int64) // digest -> size, -1 when unknown
	tagged := make(map[storage.Digest]bool)
	for _, d := range n.targets {
		if err := in.walk(ctx, n, repo, d, tagged, refs); err != nil {
			return nil, err
		}
	}
	u := &RepositoryUsage{Name: repo, Tags: len(n.tags), Manifests: n.served, Uploads: len(n.uploads)}
	all := make(map[storage.Digest]bool, len(tagged))
	for d := range tagged {
		all[d] = true
	}
	for _, d := range n.revs {
		if !tagged[d] {
			u.Untagged++
		}
		if err := in.walk(ctx, n, repo, d, all, refs); err != nil {
			return nil, err
		}
	}
	for _, d := range n.links {
		if _, ok := refs[d]; !ok {
			refs[d] = -1
		}
	}
	if err := in.resolveSizes(ctx, refs); err != nil {
		return nil, err
	}
	u.Referenced = in.record(idx, refs, n)
	return u, in.readUploads(ctx, repo, n.uploads)
}

// prefetch reads the revisions' manifests in parallel, into the cache the
// walks then use.
func (in *inventory) prefetch(ctx context.Context, revs []storage.Digest) {
	var g errgroup.Group
	g.SetLimit(in.jobs)
	for _, d := range revs {
		g.Go(func() error {
			_ = in.io(ctx, func() error { _, _, err := in.mans.Get(ctx, d); return err })
			return nil // errors are met again, and reported, by walk
		})
	}
	_ = g.Wait()
}

// walk records manifest d and what it references, children first seen
// here at any depth; seen stops cycles and repeats. A child whose revision
// link is not in the repository (deleted by digest: the registry answers
// 404 for it there) is not followed, as gc does not follow it.
func (in *inventory) walk(ctx context.Context, n *repoNames, repo string, d storage.Digest, seen map[storage.Digest]bool, refs map[storage.Digest]int64) error {
	if seen[d] {
		return nil
	}
	seen[d] = true
	m, size, err := in.mans.Get(ctx, d)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, ok := refs[d]; !ok {
			refs[d] = -1
		}
		in.warn(fmt.Sprintf("repository %s: %v", repo, err))
		return nil
	}
	refs[d] = size
	for _, b := range m.Blobs {
		if _, ok := refs[b.Digest]; !ok || refs[b.Digest] < 0 {
			refs[b.Digest] = b.Size
		}
	}
	for _, c := range m.Children {
		if !n.present[c.Digest] {
			continue
		}
		if err := in.walk(ctx, n, repo, c.Digest, seen, refs); err != nil {
			return err
		}
	}
	return nil
}

func (in *inventory) warn(w string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.inv.Warnings = append(in.inv.Warnings, w)
}

// resolveSizes fills unknown sizes: from another repository's descriptor
// when one is known, else by stat-ing the blob (absent: 0 bytes).
func (in *inventory) resolveSizes(ctx context.Context, refs map[storage.Digest]int64) error {
	var unknown []storage.Digest
	in.mu.Lock()
	for d, s := range refs {
		if s >= 0 {
			continue
		}
		if b := in.blobs[d]; b != nil && b.size >= 0 {
			refs[d] = b.size
			continue
		}
		unknown = append(unknown, d)
	}
	in.mu.Unlock()
	sizes := make([]int64, len(unknown))
	g, gctx := errgroup.WithContext(ctx)
	for i, d := range unknown {
		g.Go(func() (err error) { sizes[i], err = in.blobSize(gctx, d); return err })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, d := range unknown {
		refs[d] = sizes[i]
	}
	return nil
}

// blobSize stats blob d once; an absent blob weighs 0 bytes.
func (in *inventory) blobSize(ctx context.Context, d storage.Digest) (int64, error) {
	return in.sizes.get(d, func() (size int64, err error) {
		err = in.io(ctx, func() error {
			fi, err := in.st.Stat(ctx, storage.BlobDataPath(d))
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err == nil {
				size = fi.Size()
			}
			return err
		})
		return size, err
	})
}

// record adds one repository's digests to the registry-wide table and
// returns the bytes it references. The first size known for a digest wins.
func (in *inventory) record(idx int32, refs map[storage.Digest]int64, n *repoNames) int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	var total int64
	for d, s := range refs {
		b := in.blobs[d]
		if b == nil {
			b = &blobInfo{size: s}
			in.blobs[d] = b
		}
		b.repos++
		b.owner = idx
		total += b.size
	}
	for _, ds := range [][]storage.Digest{n.revs, n.links} {
		for _, d := range ds {
			in.blobs[d].linked = true
		}
	}
	return total
}

func (in *inventory) readUploads(ctx context.Context, repo string, ids []string) error {
	ups := make([]Upload, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	for i, id := range ids {
		g.Go(func() error {
			started, err := in.uploadStarted(gctx, repo, id)
			ups[i] = Upload{Repository: repo, ID: id, Started: started}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.inv.Uploads = append(in.inv.Uploads, ups...)
	return nil
}

// uploadStarted reads the session's startedat file (RFC 3339, written by
// the registry), or falls back to the session directory's modification
// time. Zero when neither exists (the session vanished meanwhile).
func (in *inventory) uploadStarted(ctx context.Context, repo, id string) (t time.Time, err error) {
	err = in.io(ctx, func() error {
		b, err := in.st.Driver.GetContent(ctx, storage.UploadStartedAtPath(repo, id))
		if err == nil {
			if s, perr := ParseStartedAt(b); perr == nil {
				t = s
				return nil
			}
		}
		mt, err := in.st.ModTime(ctx, storage.UploadPath(repo, id))
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		t = mt
		return err
	})
	return t, err
}

// ParseStartedAt parses an upload session's startedat file: an RFC 3339
// time, surrounding white space allowed.
func ParseStartedAt(b []byte) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}, fmt.Errorf("startedat %q: %w", clipString(string(b)), err)
	}
	return t, nil
}

func clipString(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
