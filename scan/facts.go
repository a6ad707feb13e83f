package scan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/regprune/regprune/storage"
	"golang.org/x/sync/errgroup"
)

// Repository is what one repository holds, as names from its directories.
type Repository struct {
	Name       string
	Tags       []storage.Tag
	Revisions  []storage.Digest // _manifests/revisions whose link is there
	LayerLinks []storage.Digest // _layers links that are there
	Uploads    []string         // _uploads session ids
	// Debris are revision and layer link directories without their link
	// (storage.Links.Debris): nothing the registry serves.
	RevisionDebris, LayerLinkDebris []storage.Digest
	// Malformed are revisions and layer links whose link exists but is no
	// link (storage.Links.Malformed): not in Revisions nor LayerLinks;
	// kept by gc and reported.
	Malformed []storage.BadLink
}

// ReadTagsFresh is ReadTags with every current link read (a GET each on
// object storage, never known from its ETag): the re-read of tags just
// before a deletion.
func ReadTagsFresh(ctx context.Context, st *storage.Storage, repo string, jobs int) ([]storage.Tag, error) {
	names, _, err := ListTagNames(ctx, st, repo)
	if err != nil {
		return nil, err
	}
	return readTagsByLink(ctx, st, repo, names, jobs, func(f func() error) error { return f() })
}

// ReadTags reads every tag of repo (ListTagNames): its current link and
// the link's modification time (the push time), at most jobs at a time.
// Stray entries of the tags directory are not tags and are not returned.
func ReadTags(ctx context.Context, st *storage.Storage, repo string, jobs int) ([]storage.Tag, error) {
	names, _, err := ListTagNames(ctx, st, repo)
	if err != nil {
		return nil, err
	}
	return ReadTagsNamed(ctx, st, repo, names, jobs, nil)
}

// ListTagNames lists the tags of repo, sorted: the entries of its tags
// directory that are directories (as the registry's tags/list sees them;
// one without current/link included) or symbolic links (the registry
// follows one, so it may serve a tag; reading it gives a broken tag).
// Files, special files and names no driver path can hold are returned
// as stray: no pull can reach a tag through them. The tags directory
// itself being a symbolic link is an *storage.AnomalyError.
func ListTagNames(ctx context.Context, st *storage.Storage, repo string) (names []string, stray []storage.Stray, err error) {
	dir := storage.TagsPath(repo)
	es, err := st.ListEntries(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	names = make([]string, 0, len(es))
	for _, e := range es {
		switch {
		case !e.Addressable():
			stray = append(stray, storage.Stray{Path: dir + "/" + e.Name, Kind: e.Kind, Reason: storage.StrayName})
		case e.Kind == storage.KindFile || e.Kind == storage.KindSpecial:
			stray = append(stray, storage.Stray{Path: dir + "/" + e.Name, Kind: e.Kind, Reason: storage.StrayKind})
		default:
			names = append(names, e.Name)
		}
	}
	return names, stray, nil
}

// ReadTagsNamed reads the named tags of repo as ReadTag does: each current
// link, at most jobs at a time, then all their modification times at once
// (storage.StatLeaves). On object storage one listing gives the times and
// ETags, and only the links an ETag does not tell are read
// (readTagsListed). io, when not nil, runs each storage call (gc bounds
// its I/O with it). A link that vanished between the two reads is
// recorded as missing.
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
	read := make([]int, 0, len(tags)) // the tags whose link was read
	for i := range tags {
		if tags[i].LinkErr == nil {
			read = append(read, i)
		}
	}
	var infos []storage.LeafInfo
	err = io(func() (err error) {
		infos, err = st.StatLeaves(ctx, len(read), jobs, func(i int) storage.Leaf { return storage.TagCurrentLeaf(repo, names[read[i]]) })
		return err
	})
	if err != nil {
		return nil, err
	}
	for k, i := range read {
		switch t := &tags[i]; {
		case !infos[k].Exists:
			t.Digest, t.LinkErr = storage.Digest{}, fmt.Errorf("%s: vanished while read: %w",
				storage.TagCurrentLinkPath(repo, t.Name), storage.ErrNotFound)
		default:
			t.Pushed = infos[k].ModTime
		}
	}
	return tags, nil
}

// ReadTag reads one tag. A current link that is missing or is no link
// (malformed, a symbolic link or special file on its path, too large) is
// recorded in Tag.LinkErr, not returned: the tag exists (tags/list shows
// it) but points nowhere known (Tag.Broken). A read that fails (an I/O
// error), the run's end (ctx) and a failing stat of a link just read are
// returned.
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
	d, err := readLinkSettled(ctx, st, storage.TagCurrentLinkPath(repo, name))
	switch {
	case err == nil:
		t.Digest = d
	case ctx.Err() != nil:
		return t, ctx.Err()
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrBadLink),
		errors.Is(err, storage.ErrAnomaly), errors.Is(err, storage.ErrTooLarge):
		// What the link is: missing, or there but no link (malformed, a
		// symbolic link or special file, too large): a fact of the tag.
		t.LinkErr = err
	default:
		// A failed read says nothing of the tag: the run fails, naming it.
		return t, err
	}
	return t, nil
}

// linkSettle is how long readLinkSettled waits, in all, for a link it
// found incomplete to be written whole.
var linkSettle = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond,
	80 * time.Millisecond, 160 * time.Millisecond, 320 * time.Millisecond}

// readLinkSettled is storage.ReadLink, read again a few times over about
// 0.6 s while the link holds only the beginning of a link (a push writing
// it: the registry's filesystem driver writes links in place). A link
// still incomplete then is a bad link, as any.
func readLinkSettled(ctx context.Context, st *storage.Storage, p string) (storage.Digest, error) {
	d, err := st.ReadLink(ctx, p)
	for _, wait := range linkSettle {
		if !errors.Is(err, storage.ErrLinkIncomplete) {
			break
		}
		select {
		case <-ctx.Done():
			return storage.Digest{}, ctx.Err()
		case <-time.After(wait):
		}
		d, err = st.ReadLink(ctx, p)
	}
	return d, err
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
	var revs, links storage.Links
	g.Go(func() (err error) {
		revs, err = st.ListLinks(gctx, storage.RevisionsPath(repo))
		return err
	})
	g.Go(func() (err error) {
		links, err = st.ListLinks(gctx, storage.LayerLinksPath(repo))
		return err
	})
	g.Go(func() (err error) {
		r.Uploads, err = st.ListNames(gctx, storage.UploadsPath(repo))
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("repository %s: %w", repo, err)
	}
	r.Revisions, r.RevisionDebris = revs.Linked, revs.Debris
	r.LayerLinks, r.LayerLinkDebris = links.Linked, links.Debris
	r.Malformed = append(revs.Malformed, links.Malformed...)
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
// wraps storage.ErrBadManifest, and both name the digest. A read stopped
// by the context of the caller that made it is no fact about the
// manifest: another caller, whose context is live, reads it again.
func (c *Manifests) Get(ctx context.Context, d storage.Digest) (*Manifest, int64, error) {
	for {
		e, refs := c.entry(d)
		e.once.Do(func() { e.fill(ctx, c.st, d, refs) })
		if e.err == nil || ctx.Err() != nil || !(errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
			return e.man, e.size, e.err
		}
		c.mu.Lock()
		if c.m[d] == e {
			delete(c.m, d)
		}
		c.mu.Unlock()
	}
}

// entry is d's cache entry, made when there is none, and the reference
// cache attached, if any.
func (c *Manifests) entry(d storage.Digest) (*manifestEntry, *RefCache) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[d]
	if !ok {
		e = &manifestEntry{}
		c.m[d] = e
	}
	return e, c.refs
}

// fill reads manifest d into e: from the reference cache refs (when not
// nil) while the blob is unchanged, else from the storage (and notes it
// in refs).
func (e *manifestEntry) fill(ctx context.Context, st *storage.Storage, d storage.Digest, refs *RefCache) {
	if refs == nil {
		e.read(ctx, st, d, false)
		return
	}
	re, ok, err := refs.lookup(ctx, d)
	switch {
	case err != nil:
		e.err = fmt.Errorf("manifest %s: %w", d, err)
		return
	case ok:
		e.man, e.size = re.Manifest, re.Stamp.Size
		return
	}
	refs.reads.Add(1)
	if stamp := e.read(ctx, st, d, true); e.err == nil {
		refs.note(d, RefEntry{Stamp: stamp, Manifest: e.man})
	}
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

// RefCache is the reference cache attached (UseRefCache), nil when none.
func (c *Manifests) RefCache() *RefCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refs
}
