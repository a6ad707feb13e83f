// Package restore puts removed tags back from the journal (storage's
// JournalRecord): each where it pointed, with its push time and index/
// history, only when everything the tag reached is still in the storage,
// checked as check checks a tag (scan.CheckImage). A tag that exists now
// is kept unless forced (then it is journaled first, as any removal); what
// can no longer be restored is listed with the reason.
package restore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// Journal is the readable journal: every run's record (or why it cannot
// be read), and when each manifest was collected by gc.
type Journal struct {
	Runs []storage.JournalRun // oldest first
	// collected maps repository@digest to the last run that collected it.
	collected map[string]*storage.JournalRecord
}

// Load reads the whole journal.
func Load(ctx context.Context, st *storage.Storage) (*Journal, error) {
	runs, err := st.ReadJournal(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	j := &Journal{Runs: runs, collected: map[string]*storage.JournalRecord{}}
	for _, r := range runs {
		if r.Record == nil {
			continue
		}
		for _, m := range r.Record.Collected {
			j.collected[m.Repository+"@"+m.Digest.String()] = r.Record
		}
	}
	return j, nil
}

// Bad lists the records that cannot be read, with why.
func (j *Journal) Bad() []storage.JournalRun {
	var out []storage.JournalRun
	for _, r := range j.Runs {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}

// Candidate is a removed tag as a record holds it.
type Candidate struct {
	Run     string    // the run that removed it
	Removed time.Time // when that run started
	Tag     storage.JournalTag
}

// Run returns the tags run removed, in its record's order. A run whose
// record cannot be read is an error saying why; an unknown run is
// ErrNotFound. name may be a unique prefix of a run's name.
func (j *Journal) Run(name string) ([]Candidate, error) {
	var found []storage.JournalRun
	for _, r := range j.Runs {
		if r.Name == name {
			found = []storage.JournalRun{r}
			break
		}
		if strings.HasPrefix(r.Name, name) {
			found = append(found, r)
		}
	}
	switch {
	case len(found) == 0:
		return nil, fmt.Errorf("run %q: %w in the journal (restore --list shows the runs)", name, storage.ErrNotFound)
	case len(found) > 1:
		return nil, fmt.Errorf("%w: run %q names %d runs (%s, ...): give more of its name", storage.ErrUsage, name, len(found), found[0].Name)
	case found[0].Err != nil:
		return nil, found[0].Err
	}
	return candidates(found[0].Record), nil
}

func candidates(r *storage.JournalRecord) []Candidate {
	out := make([]Candidate, len(r.Tags))
	for i, t := range r.Tags {
		out[i] = Candidate{Run: r.Run, Removed: r.Time, Tag: t}
	}
	return out
}

// Latest returns, for every tag the readable records hold, its last
// removal, sorted by repository and tag.
func (j *Journal) Latest() []Candidate {
	last := map[string]Candidate{}
	for _, r := range j.Runs { // oldest first: later removals win
		if r.Record == nil {
			continue
		}
		for _, c := range candidates(r.Record) {
			last[c.Tag.Ref()] = c
		}
	}
	out := make([]Candidate, 0, len(last))
	for _, c := range last {
		out = append(out, c)
	}
	sortCandidates(out)
	return out
}

// Refs returns the last removal of every tag refs name, in tag rm's forms
// (scan.ParseTagRef: [HOST/]REPOSITORY:TAG, either side a glob;
// REPOSITORY@DIGEST, the tags that pointed at DIGEST; REPOSITORY:TAG@DIGEST,
// the tag only if it pointed at DIGEST). A REF matching no recorded tag is
// an error naming it (ErrNoMatch), saying when records could not be read.
func (j *Journal) Refs(refs []string) ([]Candidate, error) {
	latest := j.Latest()
	var out []Candidate
	seen := map[string]bool{}
	for _, ref := range refs {
		r, err := scan.ParseTagRef(ref)
		if err != nil {
			return nil, fmt.Errorf("%w: REF %q: %w", storage.ErrUsage, ref, err)
		}
		n := 0
		for _, c := range latest {
			if storage.MatchGlob(r.Repository, c.Tag.Repository) && (r.Tag == "" || storage.MatchGlob(r.Tag, c.Tag.Tag)) &&
				(r.Digest.IsZero() || r.Digest == c.Tag.Digest) {
				n++
				if !seen[c.Tag.Ref()] {
					seen[c.Tag.Ref()] = true
					out = append(out, c)
				}
			}
		}
		if n == 0 {
			why := ""
			if bad := j.Bad(); len(bad) > 0 {
				why = fmt.Sprintf(" (%d records cannot be read: %v)", len(bad), bad[0].Err)
			}
			return nil, fmt.Errorf("REF %q: %w: no removed tag in the journal matches%s", ref, storage.ErrNoMatch, why)
		}
	}
	sortCandidates(out)
	return out, nil
}

// collectedBy is the run that collected manifest d of repo, or nil.
func (j *Journal) collectedBy(repo string, d storage.Digest) *storage.JournalRecord {
	return j.collected[repo+"@"+d.String()]
}
