package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// JournalRun is one entry of the journal directory: a run's record, or
// why it cannot be used.
type JournalRun struct {
	Name   string
	Time   time.Time      // from the name; zero when the name is not a run's
	Record *JournalRecord // nil when Err is set
	// Err says why the entry cannot be used: a name that is not a run's,
	// something other than a regular file, a record refused by
	// DecodeJournal (ErrBadJournal) or too large (ErrTooLarge).
	Err error
}

// ReadJournal reads the journal's records whose run started at or after
// since (zero: all), oldest first. An entry that cannot be used is
// returned with Err set, never in part; err is set only when the journal
// cannot be read at all (listing, or an I/O error reading a record).
func (s *Storage) ReadJournal(ctx context.Context, since time.Time) ([]JournalRun, error) {
	es, err := s.ListState(ctx, JournalDir)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var out []JournalRun
	for _, e := range es {
		run := JournalRun{Name: e.Name}
		run.Time, run.Err = ParseRunName(e.Name)
		if run.Err == nil && run.Time.Before(since.Truncate(time.Second)) {
			continue
		}
		if run.Err == nil && e.Kind != KindFile {
			run.Err = fmt.Errorf("%w: %s is a %s, not a record", ErrBadJournal, StateFilePath(JournalDir+"/"+e.Name), e.Kind)
		}
		if run.Err == nil {
			run.Record, run.Err = s.ReadRun(ctx, e.Name)
			if errors.Is(run.Err, ErrNotFound) {
				continue // removed since it was listed (a run pruning the journal)
			}
			if run.Err != nil && !unusable(run.Err) {
				return nil, run.Err
			}
		}
		if run.Record != nil && run.Record.Time.Before(since) {
			continue
		}
		out = append(out, run)
	}
	slices.SortStableFunc(out, func(a, b JournalRun) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// unusable sorts a record's read error: the record is bad (true), or the
// storage could not be read (false).
func unusable(err error) bool {
	return errors.Is(err, ErrBadJournal) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrAnomaly)
}

// ReadRun reads and decodes the record of run name.
func (s *Storage) ReadRun(ctx context.Context, name string) (*JournalRecord, error) {
	if _, err := ParseRunName(name); err != nil {
		return nil, err
	}
	p := JournalDir + "/" + name
	b, err := s.ReadState(ctx, p, JournalFileLimit)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	r, err := DecodeJournal(b)
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", StateFilePath(p), err)
	}
	if r.Run != name {
		return nil, fmt.Errorf("journal: %s: %w: it holds run %s", StateFilePath(p), ErrBadJournal, r.Run)
	}
	return r, nil
}

// PruneJournal removes the records of runs started before cutoff (by
// their names) and returns their names. Entries whose name is not a
// run's are left alone.
func (s *Storage) PruneJournal(ctx context.Context, cutoff time.Time) ([]string, error) {
	es, err := s.ListState(ctx, JournalDir)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var removed []string
	for _, e := range es {
		t, err := ParseRunName(e.Name)
		if err != nil || !t.Before(cutoff.Truncate(time.Second)) {
			continue
		}
		if err := s.DeleteState(ctx, JournalDir+"/"+e.Name); err != nil {
			return removed, fmt.Errorf("journal: removing an old record: %w", err)
		}
		removed = append(removed, e.Name)
	}
	return removed, nil
}

// RemovedSince returns the tags the journal says were removed by runs
// started at or after since, per repository: what gc --keep-removed
// keeps. It fails closed: a record that cannot be read or trusted is an
// error naming it, since what it removed is unknown.
func (s *Storage) RemovedSince(ctx context.Context, since time.Time) (map[string][]JournalTag, error) {
	runs, err := s.ReadJournal(ctx, since)
	if err != nil {
		return nil, err
	}
	out := map[string][]JournalTag{}
	for _, r := range runs {
		if r.Err != nil {
			return nil, fmt.Errorf("%w (what that run removed is unknown: move the record away, or run without a window)", r.Err)
		}
		for _, t := range r.Record.Tags {
			out[t.Repository] = append(out[t.Repository], t)
		}
	}
	return out, nil
}
