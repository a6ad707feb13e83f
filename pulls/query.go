package pulls

import (
	"time"

	"github.com/regprune/regprune/storage"
)

// Tag is what the history needs to know of a tag to say when it was last
// pulled: its name, its current manifest, and, when that is an index,
// every manifest the index reaches at any depth (children, grandchildren).
type Tag struct {
	Name     string
	Digest   storage.Digest
	Children []storage.Digest
}

// Via says how a tag's last pull reached it.
type Via int

const (
	Never    Via = iota // no pull of it recorded
	ByTag               // its name was pulled
	ByDigest            // its manifest was pulled by digest
	ByChild             // a manifest its index reaches was pulled by digest
)

// LastPull is a tag's last recorded pull.
type LastPull struct {
	Time   time.Time      // zero when Via is Never
	Via    Via            // how
	Digest storage.Digest // the digest pulled, for ByDigest and ByChild
}

// String says how, for reasons: "by tag", "by digest sha256:0123456789ab",
// "by sha256:0123456789ab in its index", "never".
func (l LastPull) String() string {
	switch l.Via {
	case ByTag:
		return "by tag"
	case ByDigest:
		return "by digest " + l.Digest.Short()
	case ByChild:
		return "by " + l.Digest.Short() + " in its index"
	}
	return "never"
}

// LastPull is when tag t of repository repo was last pulled: by its name,
// by its manifest's digest (a workload pinned by digest), or by the digest
// of any manifest its index reaches (a client resolves an index, then
// fetches its platform's manifest by digest). The latest of these wins; of
// equal times, by tag before by digest before by child.
//
// A pull by tag is of the name, whatever the tag pointed to then; a pull by
// digest counts for every tag whose manifest is, or whose index reaches,
// that digest now.
func (h *History) LastPull(repo string, t Tag) LastPull {
	r := h.repos[repo]
	if r == nil {
		return LastPull{}
	}
	var best LastPull
	consider := func(at int64, via Via, d storage.Digest) {
		if at == 0 {
			return
		}
		if best.Via == Never || at > best.Time.Unix() {
			best = LastPull{Time: unixTime(at), Via: via, Digest: d}
		}
	}
	consider(r.tags[t.Name], ByTag, storage.Digest{})
	if !t.Digest.IsZero() {
		consider(r.digests[t.Digest], ByDigest, t.Digest)
	}
	for _, c := range t.Children {
		consider(r.digests[c], ByChild, c)
	}
	return best
}

// LastPulls is LastPull for each of a repository's tags, in their order.
func (h *History) LastPulls(repo string, tags []Tag) []LastPull {
	out := make([]LastPull, len(tags))
	for i, t := range tags {
		out[i] = h.LastPull(repo, t)
	}
	return out
}

// HasDigestPulls says whether any pull by digest of repository repo is
// recorded: only then can a tag's index children matter to its last pull.
func (h *History) HasDigestPulls(repo string) bool {
	r := h.repos[repo]
	return r != nil && len(r.digests) > 0
}
