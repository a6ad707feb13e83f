package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/regprune/regprune/pulls"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

func pullsLsCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "show the pull history: the time it covers, and the last pull of each tag and digest (read-only)",
		ArgsUsage: "[REPO...]",
		Description: "REPO is a repository name or a shell-style glob (* and ? do not cross /); without REPO, every\n" +
			"repository of the history. A REPO matching no repository of the storage is an error (exit 1).\n" +
			"Shows what regprune pulls record stored: when each tag and each manifest digest was last pulled,\n" +
			"and the time the recorded logs covered (gaps included). tag ls shows, per tag, its last pull by\n" +
			"tag, digest or index child. Takes no lock and writes nothing.",
		Flags:  []cli.Flag{jobsFlag()},
		Action: func(c *cli.Context) error { return runPullsLs(g, c) },
	}
}

// pullsLsJSON is pulls ls's --json document.
type pullsLsJSON struct {
	File         string         `json:"file"`
	Recorded     bool           `json:"recorded"` // false: no history yet
	Coverage     []timeRange    `json:"coverage"`
	Repositories []repoPullsDoc `json:"repositories"`
}

type repoPullsDoc struct {
	Repository string    `json:"repository"`
	Pulls      []pullDoc `json:"pulls"`
}

type pullDoc struct {
	Tag    string    `json:"tag,omitempty"`
	Digest string    `json:"digest,omitempty"`
	Pulled time.Time `json:"pulled"`
}

func runPullsLs(g *globals, c *cli.Context) error {
	for _, p := range c.Args().Slice() {
		if err := storage.CheckRepositoryPattern(p); err != nil {
			return fmt.Errorf("%w: REPO %q: %w", storage.ErrUsage, p, err)
		}
	}
	e, err := g.open(c)
	if err != nil {
		return err
	}
	stored, err := loadHistory(c.Context, e.st)
	if err != nil {
		return err
	}
	repos := stored.repositories()
	if c.NArg() > 0 {
		if repos, err = selectRepositories(c.Context, e.st, c.Args().Slice(), max(c.Int("jobs"), 1), nil); err != nil {
			return err
		}
	}
	doc := pullsLsJSON{File: historyPath(), Recorded: stored.h != nil, Coverage: []timeRange{}, Repositories: []repoPullsDoc{}}
	if stored.h != nil {
		doc.Coverage = timeRanges(stored.h.Coverage())
		for _, r := range repos {
			if ps := stored.h.Pulls(r); len(ps) > 0 {
				doc.Repositories = append(doc.Repositories, repoPullsDoc{Repository: r, Pulls: pullDocs(ps)})
			}
		}
	}
	if e.json {
		return e.printJSON(doc)
	}
	return printPullsLs(e, doc, time.Now())
}

func (s storedHistory) repositories() []string {
	if s.h == nil {
		return nil
	}
	return s.h.Repositories()
}

func pullDocs(ps []pulls.Pull) []pullDoc {
	out := make([]pullDoc, len(ps))
	for i, p := range ps {
		out[i] = pullDoc{Tag: p.Tag, Pulled: p.Time}
		if p.Tag == "" {
			out[i].Digest = p.Digest.String()
		}
	}
	return out
}

func printPullsLs(e *env, doc pullsLsJSON, now time.Time) error {
	w := e.stdout
	if !doc.Recorded {
		_, err := fmt.Fprintf(w, "no pull history recorded yet (%s); record one with: regprune pulls record LOG...\n", doc.File)
		return err
	}
	fmt.Fprintf(w, "pull history %s %s\n", doc.File, coverageText(doc.Coverage))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	for _, r := range doc.Repositories {
		for _, p := range r.Pulls {
			if n == 0 {
				fmt.Fprintln(tw, "REPOSITORY\tTAG\tDIGEST\tPULLED\tAGO")
			}
			n++
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Repository, dashIfEmpty(p.Tag), dashIfEmpty(p.Digest),
				p.Pulled.UTC().Format(time.RFC3339), humanAge(now.Sub(p.Pulled)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s recorded in %s\n", plural(n, "pull"), plural(len(doc.Repositories), "repository"))
	return err
}
