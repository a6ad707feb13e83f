package cli

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestEveryCommandAcceptsGlobalFlags: every command and group defines
// every global flag (hidden, without environment variable), no flag of a
// command reuses a global flag's name or alias, and every command's help
// says where global options go.
func TestEveryCommandAcceptsGlobalFlags(t *testing.T) {
	t.Parallel()
	app := New(io.Discard, io.Discard)
	var globals []string
	for _, f := range app.Flags {
		globals = append(globals, f.Names()...)
	}
	var walk func([]*cli.Command, string)
	walk = func(cmds []*cli.Command, parent string) {
		for _, cmd := range cmds {
			name := strings.TrimSpace(parent + " " + cmd.Name)
			fs := flag.NewFlagSet(name, flag.ContinueOnError)
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s: its flags clash with the global flags: %v", name, r)
					}
				}()
				for _, f := range cmd.Flags {
					if err := f.Apply(fs); err != nil {
						t.Errorf("%s: --%s: %v", name, f.Names()[0], err)
					}
				}
			}()
			for _, g := range globals {
				if fs.Lookup(g) == nil {
					t.Errorf("%s does not accept --%s", name, g)
				}
			}
			for _, f := range cmd.Flags {
				if vf, ok := f.(cli.VisibleFlag); ok && vf.IsVisible() && slices.Contains(globals, f.Names()[0]) {
					t.Errorf("%s: global flag --%s shown in its own options", name, f.Names()[0])
				}
				if df, ok := f.(cli.DocGenerationFlag); ok && slices.Contains(globals, f.Names()[0]) && len(df.GetEnvVars()) > 0 {
					t.Errorf("%s: its copy of --%s reads an environment variable", name, f.Names()[0])
				}
			}
			if !strings.Contains(cmd.CustomHelpTemplate, "accepted before or after the command") {
				t.Errorf("%s: its help does not say where global options go", name)
			}
			walk(cmd.Subcommands, name)
		}
	}
	walk(app.Commands, "")
}
