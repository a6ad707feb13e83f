package cli

import "github.com/urfave/cli/v2"

// docsCommand regenerates docs/reference, the man page and the completion
// scripts (`make docs`). Hidden: it is for the project, not for operators.
func docsCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:   "docs",
		Usage:  "write the generated reference, man page and completion scripts",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: "docs", Usage: "the docs `DIR`ectory to write into"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("docs takes no arguments")
			}
			return writeDocs(g.app(), c.String("dir"))
		},
	}
}
