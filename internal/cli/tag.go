package cli

import (
	"context"
	"fmt"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
	"golang.org/x/sync/errgroup"
)

// tagCommand groups the tag commands: tag ls (tag_ls.go), tag rm
// (tag_rm.go).
func tagCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:        "tag",
		Usage:       "list or remove tags",
		Action:      unknownCommand(cli.ShowSubcommandHelp),
		Subcommands: []*cli.Command{tagLsCommand(g), tagRmCommand(g)},
	}
}

// jobsFlag is --jobs of the tag commands.
func jobsFlag() cli.Flag {
	return &cli.IntFlag{Name: "jobs", Value: storage.DefaultJobs, Usage: "parallel storage operations"}
}

// listTags lists the tag names of repos, at most jobs repositories at a
// time, as repository -> tags.
func listTags(ctx context.Context, st *storage.Storage, repos []string, jobs int) (map[string][]string, error) {
	lists := make([][]string, len(repos))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, r := range repos {
		g.Go(func() (err error) {
			lists[i], err = st.ListTags(gctx, r)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(repos))
	for i, r := range repos {
		out[r] = lists[i]
	}
	return out, nil
}

// eachTag reads the tags names, at most jobs at a time, and hands each to
// fn with its index in names.
func eachTag(ctx context.Context, st *storage.Storage, names []scan.TagName, jobs int, fn func(context.Context, int, storage.Tag)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, n := range names {
		g.Go(func() error {
			t, err := scan.ReadTag(gctx, st, n.Repository, n.Tag)
			if err != nil {
				return fmt.Errorf("tag %s: %w", n, err)
			}
			fn(gctx, i, t)
			return gctx.Err()
		})
	}
	return g.Wait()
}
