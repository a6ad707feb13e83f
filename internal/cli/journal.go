package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

// Every changing run (tag rm, prune, gc, restore) writes, before it
// removes anything, a record of what it removes into the journal
// (storage.Journal), and removes the records older than
// --journal-retention. restore reads them; --keep-removed makes gc keep
// what recently removed tags reach.

const (
	defaultJournalRetention = "30d"
	defaultKeepRemoved      = "0"
)

func journalRetentionFlag() cli.Flag {
	return &cli.StringFlag{Name: "journal-retention", Value: defaultJournalRetention,
		Usage: "keep the journal's records (what restore can put back) for `DUR`; this run removes older ones"}
}

func keepRemovedFlag() cli.Flag {
	return &cli.StringFlag{Name: "keep-removed", Value: defaultKeepRemoved,
		Usage: "keep what tags removed within `DUR` reach (from the journal), so that restore can put them back (0: none)"}
}

// readJournalRetention reads --journal-retention (usage errors, exit 2).
func readJournalRetention(c *cli.Context) (time.Duration, error) {
	d, err := retention.ParseDuration(c.String("journal-retention"))
	if err != nil {
		return 0, usagef("--journal-retention: %v", err)
	}
	if d <= 0 {
		return 0, usagef("--journal-retention %s: want a duration above 0 (records are what restore puts back)", c.String("journal-retention"))
	}
	return d, nil
}

// checkWindow refuses a --keep-removed window longer than the journal
// keeps its records: the window would outlive what it reads.
func checkWindow(keep, journal time.Duration) error {
	if keep > journal {
		return usagef("--keep-removed %s is longer than --journal-retention %s: records are removed after %s, and "+
			"what they removed with them; raise --journal-retention", retention.FormatAge(keep), retention.FormatAge(journal), retention.FormatAge(journal))
	}
	return nil
}

// policyWindow takes the policy's keep_removed as --keep-removed when the
// flag is not given.
func policyWindow(req *pruneRequest, pol retention.Policy, p string) error {
	if !pol.KeepRemovedSet || req.gc.KeepRemovedSet {
		return nil
	}
	req.gc.KeepRemoved = pol.KeepRemoved
	if err := checkWindow(pol.KeepRemoved, req.gc.JournalRetention); err != nil {
		return fmt.Errorf("%s: keep_removed: %w", p, err)
	}
	return nil
}

// beginJournal starts the run's journal (written only once the run has
// something to record) and removes the records of runs older than
// keepFor. Call it under the lock, before anything is removed: a journal
// that cannot be read is an error, and nothing is removed.
func (e *env) beginJournal(keepFor time.Duration) (*storage.Journal, error) {
	now := time.Now()
	j, err := e.st.NewJournal(e.commandLine(), now)
	if err != nil {
		return nil, err
	}
	gone, err := e.st.PruneJournal(e.c.Context, now.Add(-keepFor))
	if err != nil {
		return nil, e.interrupted(fmt.Errorf("%w; nothing was removed", err))
	}
	if len(gone) > 0 {
		e.log.Info("journal: removed records older than --journal-retention", "records", len(gone), "retention", retention.FormatAge(keepFor))
	}
	return j, nil
}

// keptRemoved is what --keep-removed keeps: per repository, the manifests
// of tags the journal says were removed within window. A journal that
// cannot be read, or a record within the window that cannot be trusted,
// is an error (fail closed): what it removed is unknown.
func (e *env) keptRemoved(window time.Duration) (map[string][]storage.Digest, error) {
	if window <= 0 {
		return nil, nil
	}
	tags, err := e.st.RemovedSince(e.c.Context, time.Now().Add(-window))
	if err != nil {
		return nil, e.interrupted(fmt.Errorf("--keep-removed %s: %w; nothing was removed", retention.FormatAge(window), err))
	}
	out := map[string][]storage.Digest{}
	for repo, ts := range tags {
		for _, t := range ts {
			if !t.Digest.IsZero() {
				out[repo] = append(out[repo], t.Digest)
			}
		}
	}
	return out, nil
}

// interrupted wraps err with storage.ErrInterrupted when a signal ended
// the run's context.
func (e *env) interrupted(err error) error {
	if e.c.Context.Err() != nil && !errors.Is(err, storage.ErrInterrupted) {
		return fmt.Errorf("%w: %w", storage.ErrInterrupted, err)
	}
	return err
}

// commandLine is the run's command line as a shell would take it back.
func (e *env) commandLine() string {
	args := e.args
	if len(args) == 0 {
		args = []string{"regprune", e.c.Command.FullName()}
	}
	words := []string{"regprune"}
	for _, a := range args[1:] {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell unless it needs none.
func shellQuote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
