package restore

import (
	"context"
	"errors"
	"fmt"

	"github.com/regprune/regprune/storage"
)

// Options says how Apply puts tags back.
type Options struct {
	// Force replaces a tag that exists now (pushed again since); the tag
	// it replaces is recorded in Journal first, as any removal.
	Force bool
	// Jobs bounds parallel storage I/O (at least 1).
	Jobs int
	// Journal is restore's own record: the tags it replaces (before) and
	// the tags it put back (after).
	Journal *storage.Journal
}

// Apply puts back the planned items that can be: every Restorable one,
// and with Force every Exists one. Just before writing a tag it reads it
// again: one pushed meanwhile is kept (unless Force). It returns the items
// with their final status (Restored, Replaced, or what the re-read found);
// on error the items say what was done until then. Running it again does
// nothing more: restored tags are then Present.
func Apply(ctx context.Context, st *storage.Storage, items []Item, opts Options) ([]Item, error) {
	if opts.Journal == nil {
		return items, errors.New("restore: no journal to record the run in")
	}
	out := append([]Item(nil), items...)
	if err := recordReplaced(ctx, out, opts); err != nil {
		return out, fmt.Errorf("%w; nothing was restored", err)
	}
	err := storage.Each(ctx, len(out), max(opts.Jobs, 1), func(ctx context.Context, i int) error {
		return apply(ctx, st, &out[i], opts)
	})
	var done []storage.RestoredTag
	for _, it := range out {
		if it.Status == Restored || it.Status == Replaced {
			done = append(done, storage.RestoredTag{Repository: it.Tag.Repository, Tag: it.Tag.Tag, Digest: it.Tag.Digest, From: it.Run})
		}
	}
	if jerr := opts.Journal.RecordRestored(context.WithoutCancel(ctx), done); jerr != nil && err == nil {
		err = fmt.Errorf("the tags were restored, but: %w", jerr)
	}
	return out, err
}

// recordReplaced journals, with Force, the tags that exist now and are
// about to be replaced, all before any is.
func recordReplaced(ctx context.Context, items []Item, opts Options) error {
	if !opts.Force {
		return nil
	}
	var now []storage.Tag
	for _, it := range items {
		if it.Status == Exists {
			now = append(now, it.Now)
		}
	}
	if len(now) == 0 {
		return nil
	}
	return opts.Journal.RecordTags(ctx, now, opts.Jobs)
}

// apply writes one tag back, when its plan and a fresh read allow it.
func apply(ctx context.Context, st *storage.Storage, it *Item, opts Options) error {
	if it.Status != Restorable && (it.Status != Exists || !opts.Force) {
		return nil
	}
	planned := it.Status
	fresh := Item{Candidate: it.Candidate}
	if err := fresh.readNow(ctx, st); err != nil {
		return err
	}
	if len(it.missing) > 0 && fresh.Status == Present && fresh.Now == it.Now {
		// Only index/ entries are missing: the tag itself stays as it is.
		if err := st.WriteTagHistory(ctx, it.Tag.Repository, it.Tag.Tag, it.missing); err != nil {
			return fmt.Errorf("restoring %s: %w", it.Ref(), err)
		}
		it.Status = Restored
		return nil
	}
	switch {
	case len(it.missing) > 0:
		it.Status, it.Reason, it.Now = fresh.Status, fresh.Reason+" (changed during the restore; kept)", fresh.Now
		return nil
	case fresh.Status == "":
	case fresh.Status == Exists && planned == Exists && fresh.Now == it.Now:
		// Still the tag journaled before: it is replaced.
	default:
		it.Status, it.Reason, it.Now = fresh.Status, fresh.Reason+" (changed during the restore; kept)", fresh.Now
		return nil
	}
	history, err := liveHistory(ctx, st, it.Tag)
	if err != nil {
		return err
	}
	it.TimeKept, err = st.WriteTag(ctx, it.Tag.Repository, it.Tag.Tag, it.Tag.Digest, it.Tag.Pushed, history)
	if err != nil {
		return fmt.Errorf("restoring %s: %w", it.Ref(), err)
	}
	it.Status = Restored
	if planned == Exists {
		it.Status = Replaced
	}
	return nil
}

// liveHistory is the tag's recorded history less the manifests whose
// revision is gone from the repository (an entry naming none would
// dangle).
func liveHistory(ctx context.Context, st *storage.Storage, t storage.JournalTag) ([]storage.Digest, error) {
	var out []storage.Digest
	for _, d := range t.History {
		_, err := st.Stat(ctx, storage.RevisionLinkPath(t.Repository, d))
		switch {
		case err == nil:
			out = append(out, d)
		case errors.Is(err, storage.ErrNotFound):
		default:
			return nil, fmt.Errorf("restoring %s: %w", t.Ref(), err)
		}
	}
	return out, nil
}
