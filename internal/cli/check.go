package cli

import (
	"context"
	"fmt"
	"path"
	"text/tabwriter"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

func checkCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "report every image the registry would not serve whole (read-only)",
		Description: "Reads the storage the way the registry serves it: every tag's current link, every manifest revision,\n" +
			"index children, configs and layers through the repository's links and the blob store. Each problem names\n" +
			"repository, tag, digest, kind and detail. Takes no lock and writes nothing: it works on a read-only mount.\n" +
			"A child of an index deleted by digest through the registry's API is a warning: the index still pulls.\n" +
			"Exit status 0 when clean (warnings aside), 1 when any problem was found.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "repo", Usage: "check only repositories matching `GLOB` (repeatable; * does not cross /)"},
			&cli.BoolFlag{Name: "verify-digests", Usage: "also hash every referenced blob and compare with its digest (reads all data)"},
			&cli.IntFlag{Name: "jobs", Value: storage.DefaultJobs, Usage: "parallel storage operations"},
		},
		Action: func(c *cli.Context) error { return runCheck(g, c) },
	}
}

func runCheck(g *globals, c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("check takes no arguments (use --repo GLOB)")
	}
	e, err := g.open(c)
	if err != nil {
		return err
	}
	repos, err := reposByGlob(c.Context, e, c.StringSlice("repo"), c.Int("jobs"))
	if err != nil {
		return err
	}
	res, err := scan.Check(c.Context, e.st, scan.CheckOptions{
		Repositories:  repos,
		VerifyDigests: c.Bool("verify-digests"),
		Jobs:          c.Int("jobs"),
		Progress:      progressBars(e),
	})
	if err != nil {
		return err
	}
	e.stats.Problems(len(res.Problems))
	if e.json {
		if err := e.printJSON(res); err != nil {
			return err
		}
	} else if err := printProblems(e, res); err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		return fmt.Errorf("%w: %s", errReported, res.Summary())
	}
	return nil
}

// printProblems prints the problems, then the warnings (their kind
// marked so), in one table, and the summary.
func printProblems(e *env, res *scan.CheckResult) error {
	if len(res.Problems)+len(res.Warnings) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPOSITORY\tTAG\tKIND\tDIGEST\tDETAIL")
		for _, p := range append(append([]scan.Problem{}, res.Problems...), res.Warnings...) {
			d := "-"
			if !p.Digest.IsZero() {
				d = p.Digest.String()
			}
			kind := string(p.Kind)
			if p.Kind.Warning() {
				kind += " (warning)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Repository, dashIfEmpty(p.Tag), kind, d, p.Detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(e.stdout, res.Summary())
	return err
}

// reposByGlob lists the repositories matching any of globs (nil,
// meaning all, when there is no glob). A glob that matches nothing, or is
// malformed, is an error naming it.
func reposByGlob(ctx context.Context, e *env, globs []string, jobs int) ([]string, error) {
	if len(globs) == 0 {
		return nil, nil
	}
	all, err := e.st.Repositories(ctx, jobs)
	if err != nil {
		return nil, err
	}
	var out []string
	matched := make(map[string]bool)
	for _, g := range globs {
		if _, err := path.Match(g, ""); err != nil {
			return nil, usagef("--repo %q: %v", g, err)
		}
	}
	for _, r := range all {
		hit := false
		for _, g := range globs {
			if storage.MatchGlob(g, r) {
				hit, matched[g] = true, true
			}
		}
		if hit {
			out = append(out, r)
		}
	}
	for _, g := range globs {
		if !matched[g] {
			return nil, fmt.Errorf("--repo %q: %w: no repository matches", g, storage.ErrNoMatch)
		}
	}
	return out, nil
}
