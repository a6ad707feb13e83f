package restore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// Status is what restore can do, or did, with one removed tag. The values
// are printed and emitted in --json output.
type Status string

const (
	// Restorable: the tag is absent and everything it reached is there.
	Restorable Status = "restorable"
	// Restored: put back by this run.
	Restored Status = "restored"
	// Present: the tag is there, pointing where it did (never removed,
	// or already restored): nothing to do.
	Present Status = "present"
	// Exists: the tag exists now pointing elsewhere (pushed again since):
	// kept, unless forced.
	Exists Status = "exists"
	// Replaced: with force, the existing tag was journaled and replaced.
	Replaced Status = "replaced"
	// Gone: what the tag reached is no longer all there (Reason says what).
	Gone Status = "gone"
	// NoDigest: the tag had no valid current link when it was removed.
	NoDigest Status = "no-digest"
)

// Item is one removed tag and what restore can do with it.
type Item struct {
	Candidate
	Status Status
	Reason string      // why it is Gone, Exists or NoDigest
	Now    storage.Tag // the tag as it is now, when it exists
	// TimeKept: the push time was put back (false on object storage,
	// where the current link's time is its write's).
	TimeKept bool
	// missing are the recorded index/ entries (of revisions still in
	// the repository) a Present tag lacks: a run stopped while removing
	// it. The item is then Restorable: restore writes them alone.
	missing []storage.Digest
}

// Ref is "repository:tag".
func (it Item) Ref() string { return it.Tag.Ref() }

// Plan says, for each candidate, whether it can be restored: not when the
// tag exists now (pushed again: Exists, or Present when it points where
// it did), nor when what it reached is no longer all there (Gone, with the
// reason: the gc run that collected its manifest when the journal knows
// it, else what check finds missing). At most jobs candidates are checked
// at a time. It writes nothing.
func Plan(ctx context.Context, st *storage.Storage, j *Journal, cs []Candidate, jobs int) ([]Item, error) {
	items := make([]Item, len(cs))
	err := storage.Each(ctx, len(cs), jobs, func(ctx context.Context, i int) (err error) {
		items[i], err = plan(ctx, st, j, cs[i], jobs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

func plan(ctx context.Context, st *storage.Storage, j *Journal, c Candidate, jobs int) (Item, error) {
	it := Item{Candidate: c}
	t := c.Tag
	if t.Digest.IsZero() {
		it.Status, it.Reason = NoDigest, "it had no valid current link when it was removed: nothing to put back"
		return it, nil
	}
	if err := it.readNow(ctx, st); err != nil {
		return it, err
	}
	if it.Status == Present {
		return it, it.checkHistory(ctx, st)
	}
	if it.Status != "" {
		return it, nil
	}
	problems, err := scan.CheckImage(ctx, st, t.Repository, t.Tag, t.Digest, jobs)
	if err != nil {
		return it, fmt.Errorf("tag %s: %w", t.Ref(), err)
	}
	if len(problems) > 0 {
		it.Status, it.Reason = Gone, goneReason(j, t, problems)
		return it, nil
	}
	it.Status = Restorable
	return it, nil
}

// readNow reads the tag as it is now: Present or Exists when it is
// there; Status stays empty when it is absent (no current link).
func (it *Item) readNow(ctx context.Context, st *storage.Storage) error {
	now, err := scan.ReadTag(ctx, st, it.Tag.Repository, it.Tag.Tag)
	if err != nil {
		return fmt.Errorf("tag %s: %w", it.Ref(), err)
	}
	switch {
	case errors.Is(now.LinkErr, storage.ErrNotFound):
		return nil
	case now.LinkErr != nil:
		it.Now, it.Status = now, Exists
		it.Reason = "it exists now with an unreadable current link (" + now.LinkErr.Error() + ")"
	case now.Digest == it.Tag.Digest:
		it.Now, it.Status = now, Present
		it.Reason = "it is there, pointing at " + now.Digest.Short()
	default:
		it.Now, it.Status = now, Exists
		it.Reason = fmt.Sprintf("pushed again since: it now points at %s (pushed %s)", now.Digest.Short(), now.Pushed.UTC().Format(timeLayout))
	}
	return nil
}

const timeLayout = "2006-01-02 15:04:05Z"

// checkHistory makes a Present tag Restorable when recorded index/
// entries of revisions still there are missing from it.
func (it *Item) checkHistory(ctx context.Context, st *storage.Storage) error {
	live, err := liveHistory(ctx, st, it.Tag)
	if err != nil {
		return err
	}
	it.missing = nil
	for _, d := range live {
		_, err := st.Stat(ctx, storage.TagIndexLinkPath(it.Tag.Repository, it.Tag.Tag, d))
		switch {
		case errors.Is(err, storage.ErrNotFound):
			it.missing = append(it.missing, d)
		case err != nil:
			return fmt.Errorf("tag %s: %w", it.Ref(), err)
		}
	}
	if len(it.missing) > 0 {
		it.Status = Restorable
		it.Reason = fmt.Sprintf("it is there, but %d index/ entries are missing (a run stopped while removing it)", len(it.missing))
	}
	return nil
}

// goneReason says why the tag can no longer be restored: the gc run that
// collected its manifest when the journal knows it, else what is missing.
func goneReason(j *Journal, t storage.JournalTag, ps []scan.Problem) string {
	if j != nil {
		if r := j.collectedBy(t.Repository, t.Digest); r != nil {
			return fmt.Sprintf("manifest collected by gc on %s (run %s)", r.Time.UTC().Format(timeLayout), r.Run)
		}
	}
	for _, p := range ps {
		if p.Digest == t.Digest && (p.Kind == scan.RevisionMissing || p.Kind == scan.ManifestMissing) {
			return fmt.Sprintf("manifest is gone (%s: %s)", p.Kind, p.Detail)
		}
	}
	kinds := make([]string, 0, len(ps))
	for _, p := range ps {
		kinds = append(kinds, string(p.Kind))
	}
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	return fmt.Sprintf("the image is no longer whole: %d problems (%s), first: %s %s: %s",
		len(ps), strings.Join(kinds, ", "), ps[0].Kind, ps[0].Digest.Short(), ps[0].Detail)
}

// Counts counts items by status.
func Counts(items []Item) map[Status]int {
	n := map[Status]int{}
	for _, it := range items {
		n[it.Status]++
	}
	return n
}

func sortCandidates(cs []Candidate) {
	slices.SortStableFunc(cs, func(a, b Candidate) int {
		if c := strings.Compare(a.Tag.Repository, b.Tag.Repository); c != 0 {
			return c
		}
		return strings.Compare(a.Tag.Tag, b.Tag.Tag)
	})
}
