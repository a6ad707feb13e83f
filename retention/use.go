package retention

import (
	"fmt"
	"time"

	"github.com/regprune/regprune/pulls"
	"github.com/regprune/regprune/storage"
)

// Use is the evidence the rules by use judge by, gathered by the command:
// the pull history, the lists of images in use, and what each tag's index
// reaches. The zero value knows of no use (rules without use keys need
// none).
type Use struct {
	// Pulls is the pull history (recorded, plus logs given for the run);
	// nil when none exists.
	Pulls *pulls.History
	// Slack is the longest gap in the history's coverage that still counts
	// as covered (between rotated logs, and between the last recorded log
	// and now): see pulls.History.Uncovered.
	Slack time.Duration
	// Refs holds the images in use, by the name a rule's KeepRefs gives.
	Refs map[string]*ImageRefSet
	// Children holds, by Tag.Ref(), every manifest the tag's index reaches
	// (scan.IndexChildren), for the tags NeedsChildren says need them.
	Children map[string]Children
}

// Children is what a tag's index reaches, or why that could not be read.
type Children struct {
	Digests []storage.Digest
	Err     error
}

// UsesPulls says whether the rule judges by the pull history.
func (r Rule) UsesPulls() bool { return r.KeepPulledWithin > 0 || r.KeepLastPulled > 0 }

// usesDigests says whether the rule may keep a tag for a use of its
// manifest by digest: a pull by digest, or an image in use by digest.
func (r Rule) usesDigests() bool { return r.UsesPulls() || len(r.KeepRefs) > 0 }

// NeedsChildren says whether Select needs the children of the tags of
// repository repo (Use.Children): when the rule governing repo keeps tags
// for uses by digest and some such use in repo is known (a pull by digest
// recorded, or a reference by digest in one of its lists). The command
// reads them for exactly these repositories; a tag of one without its
// children is kept (it cannot be judged).
func NeedsChildren(repo string, rules []Rule, use Use) bool {
	rule, ok := governing(repo, rules)
	return ok && needsChildren(repo, rule, use)
}

func needsChildren(repo string, rule Rule, use Use) bool {
	if !rule.usesDigests() {
		return false
	}
	if rule.UsesPulls() && use.Pulls != nil && use.Pulls.HasDigestPulls(repo) {
		return true
	}
	for _, name := range rule.KeepRefs {
		if set := use.Refs[name]; set != nil && set.HasDigests(repo) {
			return true
		}
	}
	return false
}

// CoverageError says which rule needs coverage the history lacks, and the
// first time it does not cover. It wraps storage.ErrPartialHistory.
type CoverageError struct {
	Rule      string        // the rule's name
	Key       string        // "keep_pulled_within 30d", "keep_last_pulled 3"
	From      time.Time     // the start of what the rule needs covered
	Uncovered time.Time     // the first second of it no recorded log covered
	Since     time.Time     // the start of the coverage that reaches now; zero when now is not covered
	None      bool          // the history covers nothing at all (or does not exist)
	Span      time.Duration // how far back the rule looks (0 for keep_last_pulled)
}

func (e *CoverageError) Error() string {
	var b []byte
	b = fmt.Appendf(b, "%s: rule %s needs the pull history to cover ", storage.ErrPartialHistory, e.Rule)
	if e.Span > 0 {
		b = fmt.Appendf(b, "the whole last %s (since %s) for %s", FormatAge(e.Span), stamp(e.From), e.Key)
	} else {
		b = fmt.Appendf(b, "the time up to now for %s", e.Key)
	}
	switch {
	case e.None:
		b = append(b, ", and no recorded log covers any time"...)
	case e.Since.IsZero():
		b = fmt.Appendf(b, ", but it is not covered from %s on", stamp(e.Uncovered))
	default:
		b = fmt.Appendf(b, ", but it is not covered at %s (its coverage reaching now starts %s)", stamp(e.Uncovered), stamp(e.Since))
	}
	return string(b)
}

func (e *CoverageError) Unwrap() error { return storage.ErrPartialHistory }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// CheckCoverage checks that the pull history covers what every rule
// judging by pulls needs, for the repositories it governs (rules that
// govern none of repos are not checked): keep_pulled_within DUR the whole
// last DUR, keep_last_pulled the time up to now (a stale history would
// rank by old pulls). The first rule short of coverage is a
// *CoverageError; h may be nil (no history: nothing is covered).
func CheckCoverage(rules []Rule, repos []string, h *pulls.History, now time.Time, slack time.Duration) error {
	used := make([]bool, len(rules))
	for _, repo := range repos {
		for i, r := range rules {
			if r.Governs(repo) {
				used[i] = true
				break
			}
		}
	}
	for i, r := range rules {
		if !used[i] || !r.UsesPulls() {
			continue
		}
		if r.KeepPulledWithin > 0 {
			if err := needCoverage(r.Name, "keep_pulled_within "+FormatAge(r.KeepPulledWithin), r.KeepPulledWithin, h, now, slack); err != nil {
				return err
			}
		}
		if r.KeepLastPulled > 0 {
			if err := needCoverage(r.Name, fmt.Sprintf("keep_last_pulled %d", r.KeepLastPulled), 0, h, now, slack); err != nil {
				return err
			}
		}
	}
	return nil
}

func needCoverage(rule, key string, span time.Duration, h *pulls.History, now time.Time, slack time.Duration) error {
	from := now.Add(-span)
	e := &CoverageError{Rule: rule, Key: key, From: from, Span: span}
	if h == nil || len(h.Coverage()) == 0 {
		e.None, e.Uncovered = true, from
		return e
	}
	at, gap := h.Uncovered(from, now, slack)
	if !gap {
		return nil
	}
	e.Uncovered = at
	if cov := h.Coverage(); span == 0 && len(cov) > 0 && cov[len(cov)-1].End.Before(now) {
		e.Uncovered = cov[len(cov)-1].End.Add(time.Second) // where the history stops
	}
	e.Since, _ = h.CoveredSince(now, slack)
	return e
}

// pullWindow is what a keep_pulled_within rule knows of its window: all
// of it covered, or only since a time (allowed partial history), or not
// now at all.
type pullWindow struct {
	complete bool
	since    time.Time // partial: the start of the coverage reaching now (zero: now not covered)
	last     time.Time // partial, now not covered: the end of the last coverage
}

func windowOf(h *pulls.History, span time.Duration, now time.Time, slack time.Duration) pullWindow {
	if h == nil {
		return pullWindow{}
	}
	if _, gap := h.Uncovered(now.Add(-span), now, slack); !gap {
		return pullWindow{complete: true}
	}
	w := pullWindow{}
	w.since, _ = h.CoveredSince(now, slack)
	if cov := h.Coverage(); len(cov) > 0 {
		w.last = cov[len(cov)-1].End
	}
	return w
}
