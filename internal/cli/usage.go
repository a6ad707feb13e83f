package cli

import (
	"fmt"

	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

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

// hasSubcommands tells a command group (its action shows help) from a
// command; urfave/cli adds a help subcommand to every command.
func hasSubcommands(cmd *cli.Command) bool {
	for _, sub := range cmd.Subcommands {
		if sub.Name != "help" {
			return true
		}
	}
	return false
}

// usagef is a usage error (exit status 2).
func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", storage.ErrUsage, fmt.Sprintf(format, args...))
}
