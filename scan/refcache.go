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
	old    map[storage.Digest]RefEntry // as loaded; read-only
	loaded [sha256.Size]byte           // checksum of the file loaded: Save does not write it again

	// listed holds the stamps the blob listing gave (object storage) of
	// the digests in old; listing says that a whole listing was noted,
	// so that a digest it did not give is not in the blob store.
	mu      sync.Mutex
	listed  map[storage.Digest]storage.BlobStamp
	listing bool
	fresh   map[storage.Digest]RefEntry // read or confirmed by this run

	hits, reads atomic.Int64
}

// LoadRefCache reads the cache of st. A cache that is missing, cannot be
// read, or is not a whole file of this version is an empty one; the
// reason is returned beside it (nil when there was nothing to say) for a
// log: a cache is never trusted in part, and never needed.
func LoadRefCache(ctx context.Context, st *storage.Storage) (*RefCache, error) {
	c := &RefCache{st: st, old: map[storage.Digest]RefEntry{}, listed: map[storage.Digest]storage.BlobStamp{},
		fresh: map[storage.Digest]RefEntry{}}
	b, err := st.ReadState(ctx, RefCacheName, RefCacheFileLimit)
	if errors.Is(err, storage.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("manifest reference cache ignored: %w", err)
	}
	old, err := DecodeRefCache(b)
	if err != nil {
		return c, fmt.Errorf("manifest reference cache ignored, rebuilt: %w", err)
	}
	c.old, c.loaded = old, sha256.Sum256(b)
	return c, nil
}

// Len is the number of entries loaded.
func (c *RefCache) Len() int { return len(c.old) }

// Stats are the manifests answered from the cache and those read.
func (c *RefCache) Stats() (hits, reads int64) { return c.hits.Load(), c.reads.Load() }

// Listed notes the stamp the blob listing gave of blob hex (kept only for
// the cache's entries).
func (c *RefCache) Listed(d storage.Digest, st storage.BlobStamp) {
	if _, ok := c.old[d]; !ok {
		return
	}
	c.mu.Lock()
	c.listed[d] = st
	c.mu.Unlock()
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
// Anything else (no entry, another stamp, a stat that fails) is a miss:
// the blob is read, and what that meets is reported as without a cache.
func (c *RefCache) lookup(ctx context.Context, d storage.Digest) (RefEntry, bool) {
	e, ok := c.old[d]
	if !ok {
		return RefEntry{}, false
	}
	c.mu.Lock()
	st, inListing := c.listed[d]
	listing := c.listing
	c.mu.Unlock()
	if !listing {
		var err error
		if st, err = c.st.StatBlob(ctx, d); err != nil {
			return RefEntry{}, false
		}
	} else if !inListing {
		return RefEntry{}, false
	}
	if !e.Stamp.Matches(st) {
		return RefEntry{}, false
	}
	c.hits.Add(1)
	c.note(d, e)
	return e, true
}

// note records what this run knows of d.
func (c *RefCache) note(d storage.Digest, e RefEntry) {
	if e.Stamp.Version == "" || e.Manifest == nil {
		return
	}
	c.mu.Lock()
	c.fresh[d] = e
	c.mu.Unlock()
}

// Save writes the cache: what this run read or confirmed, and the loaded
// entries it did not need whose blob the listing still holds with the
// same stamp (without a listing of stamps: whose blob remains), for the
// digests remains accepts (the blob store after the sweep). Only a real
// run under the lock saves; a dry run never does.
func (c *RefCache) Save(ctx context.Context, remains func(storage.Digest) bool) (int, error) {
	c.mu.Lock()
	out := make(map[storage.Digest]RefEntry, len(c.fresh))
	for d, e := range c.fresh {
		if remains(d) {
			out[d] = e
		}
	}
	for d, e := range c.old {
		if _, ok := out[d]; ok || !remains(d) {
			continue
		}
		if st, ok := c.listed[d]; c.listing && (!ok || !e.Stamp.Matches(st)) {
			continue
		}
		out[d] = e
	}
	c.mu.Unlock()
	b := EncodeRefCache(out)
	if sha256.Sum256(b) == c.loaded {
		return len(out), nil // unchanged: no write (on object storage, no PUT)
	}
	return len(out), c.st.WriteState(ctx, RefCacheName, b)
}
