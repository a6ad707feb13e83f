package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/regprune/regprune/restore"
	"github.com/urfave/cli/v2"
)

// runRow is one run of restore --list.
type runRow struct {
	Run        string    `json:"run"`
	Time       time.Time `json:"time,omitzero"`
	Command    string    `json:"command"`
	Tags       int       `json:"tags"`       // tags it removed
	Restorable int       `json:"restorable"` // of those, how many restore can put back now
	Collected  int       `json:"collected"`  // manifest revisions gc collected
	Restored   int       `json:"restored"`   // tags a restore put back
	Error      string    `json:"error,omitempty"`
}

// runRestoreList lists the journal's runs, oldest first. A record that
// cannot be read is listed with why, and the exit status is 1.
func runRestoreList(g *globals, c *cli.Context) error {
	e, j, err := openJournal(g, c)
	if err != nil {
		return err
	}
	rows := []runRow{}
	for _, r := range j.Runs {
		row := runRow{Run: r.Name, Time: r.Time}
		if r.Err != nil {
			row.Error = r.Err.Error()
			rows = append(rows, row)
			continue
		}
		rec := r.Record
		row.Time, row.Command, row.Tags = rec.Time, rec.Command, len(rec.Tags)
		row.Collected, row.Restored = len(rec.Collected), len(rec.Restored)
		cs, _ := j.Run(r.Name)
		items, err := restore.Plan(c.Context, e.st, j, cs, max(c.Int("jobs"), 1))
		if err != nil {
			return err
		}
		row.Restorable = restore.Counts(items)[restore.Restorable]
		rows = append(rows, row)
	}
	if err := printRuns(e, rows); err != nil {
		return err
	}
	if bad := j.Bad(); len(bad) > 0 {
		return fmt.Errorf("restore: %s of the journal cannot be read (listed above; move it out of the journal to silence this): %w",
			plural(len(bad), "record"), bad[0].Err)
	}
	return nil
}

func printRuns(e *env, rows []runRow) error {
	if e.json {
		return e.printJSON(rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tTAGS\tRESTORABLE\tCOMMAND")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\tunreadable: %s\n", r.Run, timeOrDash(r.Time), r.Error)
			continue
		}
		what := r.Command
		if r.Collected > 0 {
			what += fmt.Sprintf(" (collected %s)", plural(r.Collected, "manifest"))
		}
		if r.Restored > 0 {
			what += fmt.Sprintf(" (restored %s)", plural(r.Restored, "tag"))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", r.Run, timeOrDash(r.Time), r.Tags, r.Restorable, what)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "restore: %s in the journal; restore RUN or restore REPOSITORY:TAG puts tags back\n", plural(len(rows), "run"))
	return err
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// removedRow is one tag of tag ls --removed.
type removedRow struct {
	Repository string    `json:"repository"`
	Tag        string    `json:"tag"`
	Digest     string    `json:"digest"`
	Pushed     time.Time `json:"pushed,omitzero"`
	Removed    time.Time `json:"removed"`
	Run        string    `json:"run"`
}

// runTagLsRemoved lists the removed tags restore can put back now (the
// last removal of each), in the repositories patterns select (all when
// none; recorded names, so that a repository gc removed whole is listed).
func runTagLsRemoved(g *globals, c *cli.Context) error {
	e, j, err := openJournal(g, c)
	if err != nil {
		return err
	}
	var cs []restore.Candidate
	for _, cand := range j.Latest() {
		if c.NArg() == 0 || matchesAny(c.Args().Slice(), cand.Tag.Repository) {
			cs = append(cs, cand)
		}
	}
	items, err := restore.Plan(c.Context, e.st, j, cs, max(c.Int("jobs"), 1))
	if err != nil {
		return err
	}
	rows := []removedRow{}
	for _, it := range items {
		if it.Status == restore.Restorable {
			rows = append(rows, removedRow{Repository: it.Tag.Repository, Tag: it.Tag.Tag, Digest: it.Tag.Digest.String(),
				Pushed: it.Tag.Pushed, Removed: it.Removed, Run: it.Run})
		}
	}
	if err := printRemovedRows(e, rows); err != nil {
		return err
	}
	if bad := j.Bad(); len(bad) > 0 {
		return fmt.Errorf("tag ls --removed: %s of the journal cannot be read (restore --list): %w", plural(len(bad), "record"), bad[0].Err)
	}
	return nil
}

func printRemovedRows(e *env, rows []removedRow) error {
	if e.json {
		return e.printJSON(rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tTAG\tDIGEST\tPUSHED\tREMOVED\tRUN")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, shortDigest(r.Digest), timeOrDash(r.Pushed), timeOrDash(r.Removed), r.Run)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "%s restorable (regprune restore REPOSITORY:TAG)\n", plural(len(rows), "removed tag"))
	return err
}

// openJournal opens the storage and reads its journal, for the commands
// that only list it (restore --list, tag ls --removed).
func openJournal(g *globals, c *cli.Context) (*env, *restore.Journal, error) {
	e, err := g.open(c)
	if err != nil {
		return nil, nil, err
	}
	j, err := restore.Load(c.Context, e.st)
	if err != nil {
		return nil, nil, err
	}
	return e, j, nil
}
