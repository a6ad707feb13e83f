package pulls

import (
	"slices"
	"time"

	"github.com/regprune/regprune/storage"
)

// History is the pull history regprune keeps with the storage: per
// repository, the last pull of each tag and of each digest, and the time
// the recorded logs covered. It holds whole seconds. The zero value is not
// usable; New returns an empty one.
//
// Folding is idempotent and order-free: a pull keeps the latest time seen,
// coverage is a union, so recording the same log twice, or two logs in
// either order, gives the same history (and the same encoding).
type History struct {
	repos    map[string]*repoPulls
	coverage []span // merged
}

// repoPulls is one repository's last pulls, in Unix seconds.
type repoPulls struct {
	tags    map[string]int64
	digests map[storage.Digest]int64
}

// New returns an empty history.
func New() *History { return &History{repos: make(map[string]*repoPulls)} }

// Add folds one pull in: its tag and its digest (whichever it has) keep
// the later of their recorded time and the pull's. It checks nothing:
// Encode refuses a history with an invalid name or time.
func (h *History) Add(e Event) {
	r := h.repos[e.Repository]
	if r == nil {
		r = &repoPulls{tags: make(map[string]int64), digests: make(map[storage.Digest]int64)}
		h.repos[e.Repository] = r
	}
	t := e.Time.Unix()
	if e.Tag != "" {
		if old, ok := r.tags[e.Tag]; !ok || old < t {
			r.tags[e.Tag] = t
		}
	}
	if !e.Digest.IsZero() {
		if old, ok := r.digests[e.Digest]; !ok || old < t {
			r.digests[e.Digest] = t
		}
	}
}

// Cover adds time the recorded logs covered (Stats.Covered of a log).
// Overlapping and touching ranges merge.
func (h *History) Cover(rs ...Range) {
	for _, r := range rs {
		s := spanOf(r)
		if s.start <= s.end {
			h.coverage = append(h.coverage, s)
		}
	}
	h.coverage = mergeSpans(h.coverage)
}

// Merge folds another history in, as if its logs had been recorded here.
func (h *History) Merge(o *History) {
	for name, r := range o.repos {
		for tag, t := range r.tags {
			h.Add(Event{Repository: name, Tag: tag, Time: unixTime(t)})
		}
		for d, t := range r.digests {
			h.Add(Event{Repository: name, Digest: d, Time: unixTime(t)})
		}
	}
	h.coverage = mergeSpans(append(h.coverage, o.coverage...))
}

// Prune keeps, of repository repo, only the pulls of tags and digests that
// exist: tags are its tags now, revisions its manifest revisions (every
// manifest it holds, index children included). A repository left without
// pulls is dropped.
func (h *History) Prune(repo string, tags []string, revisions []storage.Digest) {
	r := h.repos[repo]
	if r == nil {
		return
	}
	keepTags := make(map[string]bool, len(tags))
	for _, t := range tags {
		keepTags[t] = true
	}
	for t := range r.tags {
		if !keepTags[t] {
			delete(r.tags, t)
		}
	}
	keepDigests := make(map[storage.Digest]bool, len(revisions))
	for _, d := range revisions {
		keepDigests[d] = true
	}
	for d := range r.digests {
		if !keepDigests[d] {
			delete(r.digests, d)
		}
	}
	if len(r.tags) == 0 && len(r.digests) == 0 {
		delete(h.repos, repo)
	}
}

// Drop forgets a repository (one the storage no longer holds).
func (h *History) Drop(repo string) { delete(h.repos, repo) }

// Repositories lists the repositories with pulls, sorted.
func (h *History) Repositories() []string {
	names := make([]string, 0, len(h.repos))
	for name := range h.repos {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Pull is one recorded last pull: of a tag, or of a digest.
type Pull struct {
	Tag    string         // "" for a digest
	Digest storage.Digest // zero for a tag
	Time   time.Time
}

// Pulls lists a repository's recorded pulls: its tags by name, then its
// digests in digest order.
func (h *History) Pulls(repo string) []Pull {
	r := h.repos[repo]
	if r == nil {
		return nil
	}
	out := make([]Pull, 0, len(r.tags)+len(r.digests))
	for _, tag := range sortedTags(r) {
		out = append(out, Pull{Tag: tag, Time: unixTime(r.tags[tag])})
	}
	for _, d := range sortedDigests(r) {
		out = append(out, Pull{Digest: d, Time: unixTime(r.digests[d])})
	}
	return out
}

// Coverage is the time the recorded logs covered: sorted ranges, apart
// by at least one uncovered second.
func (h *History) Coverage() []Range {
	out := make([]Range, len(h.coverage))
	for i, s := range h.coverage {
		out[i] = s.public()
	}
	return out
}

// Uncovered is the first second of [from, to] that no recorded log
// covered, or false when they covered all of it. A gap of at most slack
// (between two covered ranges, or between the last one and to) counts as
// covered: rotated logs given one by one leave seconds between them.
func (h *History) Uncovered(from, to time.Time, slack time.Duration) (time.Time, bool) {
	if from.After(to) {
		return time.Time{}, false
	}
	t, ok := uncovered(h.coverage, from.Unix(), to.Unix(), int64(slack/time.Second))
	if !ok {
		return time.Time{}, false
	}
	return unixTime(t), true
}

// CoveredSince is the start of the covered stretch that reaches to (gaps
// of at most slack bridged), for "not pulled since <start>"; false when to
// itself is not covered.
func (h *History) CoveredSince(to time.Time, slack time.Duration) (time.Time, bool) {
	t, ok := coveredSince(h.coverage, to.Unix(), int64(slack/time.Second))
	if !ok {
		return time.Time{}, false
	}
	return unixTime(t), true
}

func sortedTags(r *repoPulls) []string {
	tags := make([]string, 0, len(r.tags))
	for t := range r.tags {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	return tags
}

func sortedDigests(r *repoPulls) []storage.Digest {
	ds := make([]storage.Digest, 0, len(r.digests))
	for d := range r.digests {
		ds = append(ds, d)
	}
	slices.SortFunc(ds, storage.Digest.Compare)
	return ds
}
