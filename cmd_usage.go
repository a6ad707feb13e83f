package main

import "github.com/urfave/cli/v2"

// unknownCommand is the action of regprune itself and of commands that
// only group subcommands (tag): an argument there names an unknown command,
// a usage error (exit status 2; urfave/cli would show help and exit 0).
// Without one, help shows.
func unknownCommand(help cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.Args().Present() {
			return usagef("unknown command %q (see --help)", c.Args().First())
		}
		return help(c)
	}
}
