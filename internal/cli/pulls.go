package cli

import (
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

// pullsCommand groups the pull history commands: pulls record
// (pulls_record.go), pulls ls (pulls_ls.go). The history itself is read
// and written in pulls_history.go.
func pullsCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:        "pulls",
		Usage:       "record the registry's logs into a pull history, and show it",
		Action:      unknownCommand(cli.ShowSubcommandHelp),
		Subcommands: []*cli.Command{pullsRecordCommand(g), pullsLsCommand(g)},
	}
}

// WithStdin sets what a command reads for "-" (a log, a list of images in
// use): os.Stdin unless given.
func WithStdin(r io.Reader) Option {
	return func(g *globals) { g.stdin = r }
}

// input is what "-" reads.
func (g *globals) input() io.Reader {
	if g.stdin == nil {
		return os.Stdin
	}
	return g.stdin
}
