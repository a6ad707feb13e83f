package scan

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/regprune/regprune/storage"
)

// RefCacheName is the state file (storage.WriteState) of the manifest
// reference cache.
const RefCacheName = "manifest-refs"

// RefCache is the manifest reference cache: what gc needs of every
// manifest it has read (RefEntry), kept with the storage so that every
// runner shares it, keyed by digest and trusted only while the blob's
// stamp (size and ETag, or modification time) is the one the entry was
// read with. Attached to a Manifests (UseRefCache), it answers in place
// of reading the blob; what is read is noted, and Save writes what is
// known of the blobs that remain. Safe for concurrent use.
type RefCache struct {
	st     *storage.Storage
	old    *loadedRefs       // as loaded (nil: none); read-only but for old.listed
	loaded [sha256.Size]byte // checksum of the file loaded: Save does not write it again

	// listing says that a whole listing of the blob store gave old.listed
	// (object storage), so that a digest it did not give is not in the
	// blob store.
	mu      sync.Mutex
	listing bool
	fresh   freshRefs // read by this run

	hits, reads atomic.Int64
}

// LoadRefCache reads the cache of st. A cache that is missing, cannot be
// read, or is not a whole file of this version is an empty one; the
// reason is returned beside it (nil when there was nothing to say) for a
// log: a cache is never trusted in part, and never needed.
func LoadRefCache(ctx context.Context, st *storage.Storage) (*RefCache, error) {
	c := &RefCache{st: st, fresh: freshRefs{enc: newRefEncoder(nil)}}
	b, err := st.ReadState(ctx, RefCacheName, RefCacheFileLimit)
	if errors.Is(err, storage.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("manifest reference cache ignored: %w", err)
	}
	old, err := parseRefCache(b)
	if err != nil {
		return c, fmt.Errorf("manifest reference cache ignored, rebuilt: %w", err)
	}
	old.listed = make([]packedStamp, old.len())
	c.old, c.loaded = old, sha256.Sum256(b)
	return c, nil
}

// UseBlobs gives the cache the blob store's digests, sorted (gc's listing,
// not copied nor changed): what this run reads is noted with them as its
// digest table, without a map of every digest. Before anything is noted
// only.
func (c *RefCache) UseBlobs(sorted []storage.Digest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.fresh.offs) == 0 {
		c.fresh.enc = newRefEncoder(sorted)
	}
}

// Len is the number of entries loaded.
func (c *RefCache) Len() int { return c.old.len() }

// Stats are the manifests answered from the cache and those read.
func (c *RefCache) Stats() (hits, reads int64) { return c.hits.Load(), c.reads.Load() }

// Listed notes the stamp the blob listing gave of blob d (kept only for
// the cache's entries). Safe for concurrent use (scan lists blobs for gc
// while its inventory reads through the same cache).
func (c *RefCache) Listed(d storage.Digest, st storage.BlobStamp) {
	if k := c.old.find(d); k >= 0 {
		p := packStamp(st)
		c.mu.Lock()
		c.old.listed[k] = p
		c.mu.Unlock()
	}
}

// ListingDone says that a whole listing of the blob store was noted
// (Listed for every blob of it).
func (c *RefCache) ListingDone() {
	c.mu.Lock()
	c.listing = true
	c.mu.Unlock()
}

// lookup returns the cache's entry for d when the blob still has the
// entry's stamp: from the listing when one was noted, else from a stat.
// No entry, another stamp, a blob gone or no file is a miss: the blob is
// read, and what that meets is reported as without a cache. A stat that
// fails otherwise is the storage failing: an error, as the read would be.
func (c *RefCache) lookup(ctx context.Context, d storage.Digest) (RefEntry, bool, error) {
	k := c.old.find(d)
	if k < 0 {
		return RefEntry{}, false, nil
	}
	e := c.old.entry(k)
	c.mu.Lock()
	listing, listed := c.listing, c.old.listed[k]
	c.mu.Unlock()
	st := listed.stamp()
	if !listing {
		var err error
		st, err = c.st.StatBlob(ctx, d)
		switch {
		case errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrBadManifest):
			return RefEntry{}, false, nil
		case err != nil:
			return RefEntry{}, false, err
		}
	}
	if !e.Stamp.Matches(st) {
		return RefEntry{}, false, nil
	}
	c.hits.Add(1)
	return e, true, nil
}

// note records what this run read of d.
func (c *RefCache) note(d storage.Digest, e RefEntry) {
	if e.Stamp.Version == "" || e.Manifest == nil {
		return
	}
	c.mu.Lock()
	c.fresh.note(d, e)
	c.mu.Unlock()
}

// Save writes the cache: what this run read or confirmed, and the loaded
// entries it did not need whose blob the listing still holds with the
// same stamp (without a listing of stamps: whose blob remains), for the
// digests remains accepts (the blob store after the sweep). Only a real
// run under the lock saves; a dry run never does.
func (c *RefCache) Save(ctx context.Context, remains func(storage.Digest) bool) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.kept(remains)
	used := newUsedDigests(c.fresh.enc.base)
	for _, k := range kept {
		d, e := c.entryOf(k)
		used.entry(d, e)
	}
	enc := newRefEncoder(used.table())
	var body []byte
	for _, k := range kept {
		d, e := c.entryOf(k)
		body = enc.entry(body, d, e)
	}
	b := enc.file(body, len(kept))
	if sha256.Sum256(b) == c.loaded {
		return len(kept), nil // unchanged: no write (on object storage, no PUT)
	}
	return len(kept), c.st.WriteState(ctx, RefCacheName, b)
}

// kept lists, in digest order, the entries Save writes: fresh ones as
// k >= 0, loaded ones as -1-k. A fresh entry replaces a loaded one of
// its digest; a loaded one is kept when its blob remains and (when a
// listing of stamps was noted) has the entry's stamp.
func (c *RefCache) kept(remains func(storage.Digest) bool) []int {
	var out []int
	k := 0 // the next loaded entry
	keepOld := func(upTo *storage.Digest) {
		for ; k < c.old.len(); k++ {
			d := c.old.digestAt(k)
			if upTo != nil && d.Compare(*upTo) >= 0 {
				return
			}
			if !remains(d) || c.listing && !c.old.entry(k).Stamp.Matches(c.old.listed[k].stamp()) {
				continue
			}
			out = append(out, -1-k)
		}
	}
	for _, f := range c.fresh.sorted() {
		d := c.fresh.digestAt(f)
		keepOld(&d)
		if k < c.old.len() && c.old.digestAt(k) == d {
			k++ // read again: the fresh entry replaces it
		}
		if remains(d) {
			out = append(out, f)
		}
	}
	keepOld(nil)
	return out
}

// entryOf is the entry kept lists as k.
func (c *RefCache) entryOf(k int) (storage.Digest, RefEntry) {
	if k >= 0 {
		return c.fresh.digestAt(k), c.fresh.entry(k)
	}
	return c.old.digestAt(-1 - k), c.old.entry(-1 - k)
}
