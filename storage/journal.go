package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Journal is one changing run's record being written. Every removal of a
// tag goes through it: DeleteTag removes only a tag the record holds, and
// RecordTags writes the record (whole, atomically) before it returns, so
// that a run killed at any moment leaves a record covering at least what
// it removed. A failed write records nothing: the caller must then remove
// nothing. Safe for concurrent use.
type Journal struct {
	st *Storage

	mu       sync.Mutex
	rec      JournalRecord
	recorded map[string]bool // repository:tag of every tag in rec.Tags
	written  bool
}

// NewJournal starts the record of a run begun at now with command line
// command. Nothing is written until something is recorded.
func (s *Storage) NewJournal(command string, now time.Time) (*Journal, error) {
	run, err := NewRunName(now)
	if err != nil {
		return nil, err
	}
	return &Journal{st: s, rec: JournalRecord{Run: run, Time: now.UTC(), Command: clipCommand(command)},
		recorded: map[string]bool{}}, nil
}

func clipCommand(c string) string {
	if len(c) > maxCommandLen {
		return c[:maxCommandLen-3] + "..."
	}
	return c
}

// Run is the run's name: the record's name in the journal.
func (j *Journal) Run() string { return j.rec.Run }

// Path is the driver path of the run's record.
func (j *Journal) Path() string { return StateFilePath(JournalDir + "/" + j.rec.Run) }

// Written reports whether the record has been written.
func (j *Journal) Written() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.written
}

// Record returns a copy of the record as last written.
func (j *Journal) Record() JournalRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.rec
	r.Tags, r.Collected, r.Restored = slices.Clone(r.Tags), slices.Clone(r.Collected), slices.Clone(r.Restored)
	return r
}

// RecordTags adds tags (as read just before: digest and push time) to the
// record, each with its index/ history as the storage holds it now (at
// most jobs reads at a time), and writes the record. Tags already
// recorded are not added twice. On error nothing of tags is recorded.
func (j *Journal) RecordTags(ctx context.Context, tags []Tag, jobs int) error {
	return j.RecordRemovals(ctx, tags, nil, jobs)
}

// RecordRemovals records tags as RecordTags does and manifest revisions
// as RecordCollected does, in one write.
func (j *Journal) RecordRemovals(ctx context.Context, tags []Tag, ms []JournalManifest, jobs int) error {
	var add []JournalTag
	seen := map[string]bool{}
	j.mu.Lock()
	for _, t := range tags {
		if !j.recorded[t.Ref()] && !seen[t.Ref()] {
			seen[t.Ref()] = true
			add = append(add, JournalTag{Repository: t.Repository, Tag: t.Name, Digest: t.Digest, Pushed: t.Pushed})
		}
	}
	j.mu.Unlock()
	if len(add) == 0 && len(ms) == 0 {
		return nil
	}
	if err := j.readHistories(ctx, add, jobs); err != nil {
		return interrupted(ctx, fmt.Errorf("journal: reading the tags' history: %w", err))
	}
	return j.update(ctx, func(r *JournalRecord) {
		r.Tags = append(r.Tags, add...)
		r.Collected = append(r.Collected, ms...)
	}, func() {
		for _, t := range add {
			j.recorded[t.Ref()] = true
		}
	})
}

// readHistories fills each tag's History: its index/ entries. An entry
// that is not a digest is left out (the registry never writes one); a
// tag already gone has none.
func (j *Journal) readHistories(ctx context.Context, tags []JournalTag, jobs int) error {
	byRepo := map[string][]int{}
	var repos []string
	for i, t := range tags {
		if err := ValidRepository(t.Repository); err != nil {
			return err
		}
		if err := ValidTag(t.Tag); err != nil {
			return err
		}
		if byRepo[t.Repository] == nil {
			repos = append(repos, t.Repository)
		}
		byRepo[t.Repository] = append(byRepo[t.Repository], i)
	}
	for _, repo := range repos {
		idx := byRepo[repo]
		names := make([]string, len(idx))
		for k, i := range idx {
			names[k] = tags[i].Tag
		}
		hist, _, err := j.st.TagHistories(ctx, repo, names, jobs)
		if err != nil {
			return err
		}
		for k, i := range idx {
			tags[i].History = hist[k]
			slices.SortFunc(tags[i].History, Digest.Compare)
		}
	}
	return nil
}

// RecordCollected adds manifest revisions gc is about to remove to the
// record and writes it.
func (j *Journal) RecordCollected(ctx context.Context, ms []JournalManifest) error {
	if len(ms) == 0 {
		return nil
	}
	return j.update(ctx, func(r *JournalRecord) { r.Collected = append(r.Collected, ms...) }, nil)
}

// RecordRestored adds tags restore put back to the record and writes it.
func (j *Journal) RecordRestored(ctx context.Context, ts []RestoredTag) error {
	if len(ts) == 0 {
		return nil
	}
	return j.update(ctx, func(r *JournalRecord) { r.Restored = append(r.Restored, ts...) }, nil)
}

// update applies add to a copy of the record, writes the copy and, once
// it is written, makes it the record (and calls done, under the lock).
func (j *Journal) update(ctx context.Context, add func(*JournalRecord), done func()) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	next := j.rec
	next.Tags, next.Collected, next.Restored = slices.Clone(next.Tags), slices.Clone(next.Collected), slices.Clone(next.Restored)
	add(&next)
	b, err := EncodeJournal(&next)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := j.st.WriteState(ctx, JournalDir+"/"+next.Run, b); err != nil {
		return interrupted(ctx, fmt.Errorf("journal: %w", err))
	}
	j.rec, j.written = next, true
	if done != nil {
		done()
	}
	return nil
}

// interrupted wraps err with ErrInterrupted when ctx ended (a signal
// stopped the run before its record was written).
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ErrInterrupted) {
		return fmt.Errorf("%w: %w", ErrInterrupted, err)
	}
	return err
}

// DeleteTag removes tag of repo (its whole directory: current link and
// history), which must be in the record: a tag the journal has not
// recorded is ErrNotJournaled, and stays. A tag already gone is no error.
func (j *Journal) DeleteTag(ctx context.Context, repo, tag string) error {
	j.mu.Lock()
	ok := j.recorded[repo+":"+tag]
	j.mu.Unlock()
	if !ok {
		return fmt.Errorf("delete tag %s:%s: %w: record it first (Journal.RecordTags)", repo, tag, ErrNotJournaled)
	}
	return j.st.deleteTag(ctx, repo, tag)
}
