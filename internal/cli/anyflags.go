package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// Global flags anywhere (kubectl, restic): every command, the groups
// included, accepts the global flags too, as hidden copies without their
// environment variables, so that `regprune tag ls --root X` and
// `regprune gc --json --dry-run` work. A flag given in several places takes
// its last value, the one closest to the command, as a flag repeated in one
// place does (`--root a --root b` is b); the environment counts only when
// the flag is given nowhere.

// acceptGlobalFlags gives cmds and their subcommands the global flags and
// readGlobalOptions as their Before, and says so in their help.
func (g *globals) acceptGlobalFlags(cmds []*cli.Command) {
	for _, cmd := range cmds {
		cmd.Flags = append(cmd.Flags, commandGlobalFlags()...)
		cmd.Before = g.readGlobalOptions
		if hasSubcommands(cmd) {
			cmd.CustomHelpTemplate = cli.SubcommandHelpTemplate + globalOptionsHelp
		} else {
			cmd.CustomHelpTemplate = cli.CommandHelpTemplate + globalOptionsHelp
		}
		g.acceptGlobalFlags(cmd.Subcommands)
	}
}

// globalOptionsHelp ends every command's --help.
const globalOptionsHelp = `
GLOBAL OPTIONS:
   The global options (regprune --help) are accepted before or after the command;
   one given in both places takes the value given last.
`

// commandGlobalFlags are the global flags as a command defines them:
// hidden (the app's help lists them) and without environment variables, so
// that a command's flag is set only when given on its command line.
func commandGlobalFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range globalFlags() {
		switch f := f.(type) {
		case *cli.StringFlag:
			f.EnvVars, f.Hidden = nil, true
		case *cli.BoolFlag:
			f.EnvVars, f.Hidden = nil, true
		case *cli.DurationFlag:
			f.EnvVars, f.Hidden = nil, true
		default:
			panic(fmt.Sprintf("cli: global flag %v of type %T: add it to commandGlobalFlags", f.Names(), f))
		}
		out = append(out, f)
	}
	return out
}

// globalValues finds where a global flag got its value.
type globalValues struct{ c *cli.Context }

// lookup is the context to read global flag name from: the one nearest
// the command where it was given on the command line, else the app's
// (its environment variable, else its default).
func (v globalValues) lookup(name string) *cli.Context {
	var top *cli.Context
	for _, x := range v.c.Lineage() {
		if !defines(x, name) {
			continue
		}
		if x.IsSet(name) {
			return x
		}
		top = x
	}
	if top == nil {
		return v.c
	}
	return top
}

// isSet says whether global flag name was given anywhere or through its
// environment variable (even empty).
func (v globalValues) isSet(name string) bool {
	x := v.lookup(name)
	return defines(x, name) && x.IsSet(name)
}

// defines says whether the command of context x has a flag name (the app
// has every global flag; a command, its copies).
func defines(x *cli.Context, name string) bool {
	if x.Command == nil {
		return false
	}
	return slices.ContainsFunc(x.Command.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), name) })
}

// emptyPaths refuses a path flag (one whose value is a FILE, PATH or DIR)
// given empty, on the command line or in its environment variable: an
// unset shell variable must not make regprune use a default instead.
func emptyPaths(c *cli.Context) error {
	v := globalValues{c}
	seen := make(map[string]bool)
	for _, x := range c.Lineage() {
		if x.Command == nil {
			continue
		}
		for _, f := range x.Command.Flags {
			name := f.Names()[0]
			if seen[name] || !isPathFlag(f) {
				continue
			}
			seen[name] = true
			at := v.lookup(name)
			if !defines(at, name) || !at.IsSet(name) || at.String(name) != "" {
				continue
			}
			what := "--" + name
			if env := envVarsOf(c, name); len(env) > 0 {
				what += " (or $" + strings.Join(env, ", $") + ")"
			}
			return usagef("%s is empty (an unset variable?): give a %s", what, placeholderName(f))
		}
	}
	return nil
}

// isPathFlag: a string flag whose placeholder is FILE, PATH or DIR.
func isPathFlag(f cli.Flag) bool {
	_, ok := f.(*cli.StringFlag)
	switch placeholderName(f) {
	case "FILE", "PATH", "DIR":
		return ok
	}
	return false
}

// placeholderName is the `NAME` a flag's usage quotes, if any.
func placeholderName(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	name, _ := placeholderOf(df.GetUsage())
	return name
}

// envVarsOf lists the environment variables of the app's flag name.
func envVarsOf(c *cli.Context, name string) []string {
	for _, f := range c.App.Flags {
		if df, ok := f.(cli.DocGenerationFlag); ok && slices.Contains(f.Names(), name) {
			return df.GetEnvVars()
		}
	}
	return nil
}
