package scan

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// Repository is what one repository holds, as names from its directories.
type Repository struct {
	Name       string
	Tags       []storage.Tag
	Revisions  []storage.Digest // _manifests/revisions, from directory names
	LayerLinks []storage.Digest // _layers, from directory names
	Uploads    []string         // _uploads session ids
}

// ReadTagsFresh is ReadTags with every current link read (a GET each on
// object storage, never known from its ETag): the re-read of tags just
// before a deletion.
func ReadTagsFresh(ctx context.Context, st *storage.Storage, repo string, jobs int) ([]storage.Tag, error) {
	names, err := st.ListNames(ctx, storage.TagsPath(repo))
	if err != nil {
		return nil, err
	}
	return readTagsByLink(ctx, st, repo, names, jobs, func(f func() error) error { return f() })
}

// ReadTags reads every tag of repo: its current link and the link's
// modification time (the push time), at most jobs at a time.
func ReadTags(ctx context.Context, st *storage.Storage, repo string, jobs int) ([]storage.Tag, error) {
	if tags, ok, err := ReadAllTagsListed(ctx, st, repo, jobs, func(f func() error) error { return f() }, nil); ok {
		return tags, err
	}
	names, err := st.ListNames(ctx, storage.TagsPath(repo))
	if err != nil {
		return nil, err
	}
	return ReadTagsNamed(ctx, st, repo, names, jobs, nil)
}

// ReadTagsNamed reads the named tags of repo as ReadTag does: each current
// link, at most jobs at a time, then all their modification times at once
// (storage.StatLeaves). On object storage one listing gives the times and
// ETags, and only the links an ETag does not tell are read
// (readTagsListed). io, when not nil,
// runs each storage call (gc bounds its I/O with it). A link that
// vanished between the two reads is recorded as missing.
func ReadTagsNamed(ctx context.Context, st *storage.Storage, repo string, names []string, jobs int, io func(func() error) error) ([]storage.Tag, error) {
	if io == nil {
		io = func(f func() error) error { return f() }
	}
	if len(names) > 0 {
		if tags, ok, err := readTagsListed(ctx, st, repo, names, jobs, io); ok || err != nil {
			return tags, err
		}
	}
	return readTagsByLink(ctx, st, repo, names, jobs, io)
}

// readTagsByLink is ReadTagsNamed reading every current link.
func readTagsByLink(ctx context.Context, st *storage.Storage, repo string, names []string, jobs int, io func(func() error) error) ([]storage.Tag, error) {
	tags := make([]storage.Tag, len(names))
	err := storage.Each(ctx, len(names), jobs, func(ctx context.Context, i int) error {
		return io(func() (err error) {
			tags[i], err = readTagLink(ctx, st, repo, names[i])
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	var infos []storage.LeafInfo
	err = io(func() (err error) {
		infos, err = st.StatLeaves(ctx, len(names), jobs, func(i int) storage.Leaf { return storage.TagCurrentLeaf(repo, names[i]) })
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range tags {
		switch t := &tags[i]; {
		case t.LinkErr != nil:
		case !infos[i].Exists:
			t.Digest, t.LinkErr = storage.Digest{}, fmt.Errorf("%s: vanished while read: %w",
				storage.TagCurrentLinkPath(repo, t.Name), storage.ErrNotFound)
		default:
			t.Pushed = infos[i].ModTime
		}
	}
	return tags, nil
}

// ReadTag reads one tag. A missing or malformed current link is recorded in
// Tag.LinkErr, not returned: the tag exists (tags/list shows it) but points
// nowhere. Other I/O errors are returned.
func ReadTag(ctx context.Context, st *storage.Storage, repo, name string) (storage.Tag, error) {
	t, err := readTagLink(ctx, st, repo, name)
	if err != nil || t.LinkErr != nil {
		return t, err
	}
	mt, err := st.ModTime(ctx, storage.TagCurrentLinkPath(repo, name))
	if err != nil {
		return t, err
	}
	t.Pushed = mt
	return t, nil
}

// readTagLink reads a tag's current link, without its time.
func readTagLink(ctx context.Context, st *storage.Storage, repo, name string) (storage.Tag, error) {
	t := storage.Tag{Repository: repo, Name: name}
	d, err := st.ReadLink(ctx, storage.TagCurrentLinkPath(repo, name))
	switch {
	case err == nil:
		t.Digest = d
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrBadLink):
		t.LinkErr = err
	default:
		return t, err
	}
	return t, nil
}

// ReadRepository reads the names under one repository: tags (with their
// links), revisions, layer links and upload sessions.
func ReadRepository(ctx context.Context, st *storage.Storage, repo string, jobs int) (*Repository, error) {
	r := &Repository{Name: repo}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		r.Tags, err = ReadTags(gctx, st, repo, jobs)
		return err
	})
	g.Go(func() (err error) {
		r.Revisions, err = st.ListDigests(gctx, storage.RevisionsPath(repo))
		return err
	})
	g.Go(func() (err error) {
		r.LayerLinks, err = st.ListDigests(gctx, storage.LayerLinksPath(repo))
		return err
	})
	g.Go(func() (err error) {
		r.Uploads, err = st.ListNames(gctx, storage.UploadsPath(repo))
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("repository %s: %w", repo, err)
	}
	return r, nil
}

// Manifests reads and parses manifest blobs once each, safely from many
// goroutines. Parsed manifests are kept; their bytes are not.
type Manifests struct {
	st   *storage.Storage
	mu   sync.Mutex
	m    map[storage.Digest]*manifestEntry
	refs *RefCache // nil: every manifest is read
}

type manifestEntry struct {
	once sync.Once
	man  *Manifest
	size int64
	err  error
}

// NewManifests returns an empty manifest cache over st.
func NewManifests(st *storage.Storage) *Manifests {
	return &Manifests{st: st, m: make(map[storage.Digest]*manifestEntry)}
}

// Get returns the parsed manifest d and the size of its blob. A missing
// blob wraps storage.ErrNotFound; unreadable or uninterpretable content
// wraps storage.ErrBadManifest, and both name the digest.
func (c *Manifests) Get(ctx context.Context, d storage.Digest) (*Manifest, int64, error) {
	c.mu.Lock()
	e, ok := c.m[d]
	if !ok {
		e = &manifestEntry{}
		c.m[d] = e
	}
	refs := c.refs
	c.mu.Unlock()
	e.once.Do(func() {
		if refs == nil {
			e.read(ctx, c.st, d, false)
			return
		}
		if re, ok := refs.lookup(ctx, d); ok {
			e.man, e.size = re.Manifest, re.Stamp.Size
			return
		}
		refs.reads.Add(1)
		if stamp := e.read(ctx, c.st, d, true); e.err == nil {
			refs.note(d, RefEntry{Stamp: stamp, Manifest: e.man})
		}
	})
	return e.man, e.size, e.err
}

// read reads and parses manifest d into e; with a cache attached (refs),
// with the stamp of what it read.
func (e *manifestEntry) read(ctx context.Context, st *storage.Storage, d storage.Digest, stamped bool) storage.BlobStamp {
	var b []byte
	var stamp storage.BlobStamp
	var err error
	if stamped {
		b, stamp, err = st.ReadManifestStamped(ctx, d)
	} else {
		b, err = st.ReadBlob(ctx, d)
	}
	if err != nil {
		e.err = fmt.Errorf("manifest %s: %w", d, err)
		return stamp
	}
	e.size = int64(len(b))
	if e.man, err = ParseManifest(b); err != nil {
		e.err = fmt.Errorf("manifest %s: %w", d, err)
	}
	return stamp
}

// UseRefCache makes c answer from refs (and note in it what c reads)
// from now on: manifests c already holds stay as read.
func (c *Manifests) UseRefCache(refs *RefCache) {
	c.mu.Lock()
	c.refs = refs
	c.mu.Unlock()
}
