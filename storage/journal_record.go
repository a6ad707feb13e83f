package storage

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// The journal: before a changing run removes a tag (tag rm, prune, gc's
// orphan referrer tags, restore --force) or a manifest revision (gc), it
// writes a record of what it is about to remove into JournalDir, one
// record per run, replaced whole (atomically) when the run adds to it.
// restore reads the records to put tags back; gc --keep-removed reads them
// to keep removed tags' images. A record is named by its run (RunName):
// the UTC time the run started and 8 random hex digits.

// JournalDir is the journal's state directory (see StateFilePath).
const JournalDir = "journal"

// runTimeLayout is the time part of a run's name.
const runTimeLayout = "20060102T150405Z"

// JournalRecord is one run's record.
type JournalRecord struct {
	Run     string    // the record's name, as NewRunName makes it
	Time    time.Time // when the run started
	Command string    // the run's command line
	// Tags are the tags the run removed or was about to remove when it
	// wrote the record: what restore can put back.
	Tags []JournalTag
	// Collected are the manifest revisions gc removed or was about to.
	Collected []JournalManifest
	// Restored are the tags restore put back.
	Restored []RestoredTag
}

// JournalTag is a tag as it was just before its removal.
type JournalTag struct {
	Repository string
	Tag        string
	Digest     Digest    // its current manifest; zero: it had no valid current link
	Pushed     time.Time // modification time of its current link; zero when unknown
	History    []Digest  // its index/ entries, sorted
}

// Ref is "repository:tag".
func (t JournalTag) Ref() string { return t.Repository + ":" + t.Tag }

// JournalManifest is a manifest revision of a repository.
type JournalManifest struct {
	Repository string
	Digest     Digest
}

// RestoredTag is a tag restore put back, and the run whose record it
// came from.
type RestoredTag struct {
	Repository string
	Tag        string
	Digest     Digest
	From       string
}

// NewRunName is a fresh run name for a run started at now.
func NewRunName(now time.Time) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return now.UTC().Format(runTimeLayout) + "-" + hex.EncodeToString(b[:]), nil
}

// ParseRunName checks a run name and returns the time it holds (to the
// second).
func ParseRunName(name string) (time.Time, error) {
	ts, rnd, ok := strings.Cut(name, "-")
	if !ok || len(rnd) != 8 || strings.Trim(rnd, "0123456789abcdef") != "" {
		return time.Time{}, fmt.Errorf("%w: run %s: want <yyyymmddThhmmssZ>-<8 hex>", ErrBadJournal, quoteName(name))
	}
	t, err := time.Parse(runTimeLayout, ts)
	if err != nil || t.Format(runTimeLayout) != ts {
		return time.Time{}, fmt.Errorf("%w: run %s: bad time", ErrBadJournal, quoteName(name))
	}
	return t, nil
}

// validate checks every field of r, naming the first one out of its
// grammar: a record is used whole or not at all.
func (r *JournalRecord) validate() error {
	started, err := ParseRunName(r.Run)
	if err != nil {
		return err
	}
	if !validRecordTime(r.Time) || !r.Time.Truncate(time.Second).Equal(started) {
		return fmt.Errorf("%w: run %s: time %s does not match its name", ErrBadJournal, r.Run, r.Time.Format(time.RFC3339Nano))
	}
	if len(r.Command) > maxCommandLen {
		return fmt.Errorf("%w: run %s: command longer than %d bytes", ErrBadJournal, r.Run, maxCommandLen)
	}
	for i, t := range r.Tags {
		if err := t.validate(); err != nil {
			return fmt.Errorf("%w: run %s: tag %d: %w", ErrBadJournal, r.Run, i+1, err)
		}
	}
	for i, m := range r.Collected {
		if err := ValidRepository(m.Repository); err != nil || m.Digest.IsZero() {
			return fmt.Errorf("%w: run %s: collected manifest %d: %v", ErrBadJournal, r.Run, i+1, nonNilErr(err, "no digest"))
		}
	}
	for i, t := range r.Restored {
		if err := validRestored(t); err != nil {
			return fmt.Errorf("%w: run %s: restored tag %d: %w", ErrBadJournal, r.Run, i+1, err)
		}
	}
	return nil
}

// maxCommandLen bounds a recorded command line.
const maxCommandLen = 64 << 10

func (t JournalTag) validate() error {
	if err := ValidRepository(t.Repository); err != nil {
		return err
	}
	if err := ValidTag(t.Tag); err != nil {
		return err
	}
	if !t.Pushed.IsZero() && !validRecordTime(t.Pushed) {
		return fmt.Errorf("%s: push time out of range", t.Ref())
	}
	for _, d := range t.History {
		if d.IsZero() {
			return fmt.Errorf("%s: empty history digest", t.Ref())
		}
	}
	return nil
}

func validRestored(t RestoredTag) error {
	if err := ValidRepository(t.Repository); err != nil {
		return err
	}
	if err := ValidTag(t.Tag); err != nil {
		return err
	}
	if t.Digest.IsZero() {
		return fmt.Errorf("%s:%s: no digest", t.Repository, t.Tag)
	}
	_, err := ParseRunName(t.From)
	return err
}

// validRecordTime: from 1970-01-01T00:00:01Z to 9999-12-31T23:59:59Z.
func validRecordTime(t time.Time) bool {
	return t.Unix() > 0 && t.Year() <= 9999
}

func nonNilErr(err error, otherwise string) string {
	if err != nil {
		return err.Error()
	}
	return otherwise
}
