package docs

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/cli"
	"github.com/regprune/regprune/internal/shell"
	"github.com/regprune/regprune/retention"
	urfave "github.com/urfave/cli/v2"
)

// invocation is one regprune command line found in a document.
type invocation struct {
	where string   // file:line
	argv  []string // argv[0] is "regprune"
}

// TestRecipesUseRealFlags: every regprune command line in docs/examples
// (shell, markdown code blocks, cron, systemd units, Kubernetes manifests)
// and in the markdown docs parses with the real app's commands and flags,
// every policy parses, and every REGPRUNE_ variable is a real one.
func TestRecipesUseRealFlags(t *testing.T) {
	t.Parallel()
	var docs []string
	err := filepath.WalkDir(filepath.Join(moduleRoot, "docs", "examples"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			docs = append(docs, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	others, _ := filepath.Glob(filepath.Join(moduleRoot, "docs", "*.md"))
	others = append(others, filepath.Join(moduleRoot, "README.md"))
	for _, p := range slices.Concat(docs, others) {
		invs := recipeInvocations(t, p)
		t.Logf("%s: %d regprune command lines", p, len(invs))
		if slices.Contains(docs, p) && len(invs) == 0 && needsInvocation(p) {
			t.Errorf("%s: no regprune command line found (is the extraction broken?)", p)
		}
		for _, inv := range invs {
			if err := validateArgs(inv.argv); err != nil {
				t.Errorf("%s: %q: %v", inv.where, strings.Join(inv.argv, " "), err)
			}
		}
	}
	for _, p := range docs {
		checkEnvNames(t, p)
	}
}

// needsInvocation: files that exist to run regprune.
func needsInvocation(p string) bool {
	base := filepath.Base(p)
	return base != "README.md" && base != "policy.yaml" && base != "kubernetes-rbac-policy.yaml" && !strings.HasSuffix(base, ".timer")
}

func recipeInvocations(t *testing.T, p string) []invocation {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(p, ".yaml") {
		return yamlInvocations(t, p, data)
	}
	var out []invocation
	for _, l := range logicalLines(p, string(data)) {
		for _, seg := range commandSegments(l.text) {
			words, err := shell.Words(seg, nil)
			if err != nil {
				if regpruneArgv(strings.Fields(seg), strings.HasSuffix(p, ".cron")) != nil {
					t.Errorf("%s:%d: cannot split %q: %v", p, l.n, seg, err)
				}
				continue
			}
			if argv := regpruneArgv(words, strings.HasSuffix(p, ".cron")); argv != nil && !isSynopsis(argv) {
				out = append(out, invocation{where: fmt.Sprintf("%s:%d", p, l.n), argv: argv})
			}
		}
	}
	return out
}

type logicalLine struct {
	n    int
	text string
}

// logicalLines joins continuation lines; in markdown, only fenced code
// blocks count. Comment lines are skipped.
func logicalLines(p, data string) []logicalLine {
	markdown := strings.HasSuffix(p, ".md")
	inCode := !markdown
	var out []logicalLine
	var cur *logicalLine
	sc := bufio.NewScanner(strings.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if markdown && strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		if !inCode || (cur == nil && (line == "" || strings.HasPrefix(line, "#"))) {
			continue
		}
		if cur == nil {
			cur = &logicalLine{n: n}
			line = strings.TrimPrefix(line, "$ ")
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			cur.text += body + " "
			continue
		}
		cur.text += line
		out = append(out, *cur)
		cur = nil
	}
	return out
}

var (
	listOperator = regexp.MustCompile(`\s(&&|\|\||\||;)\s|;$`)
	redirection  = regexp.MustCompile(`\s[0-9]*(>>?|<).*$`)
)

// commandSegments splits a line at list operators and drops redirections.
func commandSegments(line string) []string {
	var out []string
	for _, seg := range listOperator.Split(line, -1) {
		seg = redirection.ReplaceAllString(seg, "")
		seg = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(seg), "("), ")")
		if seg != "" {
			out = append(out, seg)
		}
	}
	return out
}

// regpruneArgv finds regprune in command position: the first word (after
// NAME=VALUE, sudo, a systemd Exec*= key, or a cron schedule and user), the
// program of `docker exec` / `kubectl exec --`, or the arguments after a
// regprune image in `docker run`.
func regpruneArgv(words []string, cron bool) []string {
	if cron && len(words) > 6 && !strings.Contains(words[0], "=") {
		words = words[6:]
	}
	for len(words) > 0 && (words[0] == "sudo" || isAssignment(words[0])) {
		if key, v, ok := strings.Cut(words[0], "="); ok && strings.HasPrefix(key, "Exec") {
			words[0] = v
			break
		}
		words = words[1:]
	}
	switch {
	case len(words) == 0:
		return nil
	case isRegpruneProgram(words[0]):
		return append([]string{"regprune"}, words[1:]...)
	case words[0] == "kubectl" && slices.Contains(words, "exec"):
		if i := slices.Index(words, "--"); i >= 0 && i+1 < len(words) && isRegpruneProgram(words[i+1]) {
			return append([]string{"regprune"}, words[i+2:]...)
		}
	case words[0] == "docker" && len(words) > 1 && words[1] == "exec":
		for i, w := range words[2:] {
			if isRegpruneProgram(w) {
				return append([]string{"regprune"}, words[i+3:]...)
			}
		}
	case words[0] == "docker" && len(words) > 1 && words[1] == "run":
		for i, w := range words[2:] {
			if isRegpruneImage(w) {
				return append([]string{"regprune"}, words[i+3:]...)
			}
		}
	}
	return nil
}

// isSynopsis tells a usage synopsis ("regprune [global options] COMMAND")
// from a command line.
func isSynopsis(argv []string) bool {
	return slices.ContainsFunc(argv, func(w string) bool { return strings.HasPrefix(w, "[") })
}

func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	return ok && name != "" && !strings.HasPrefix(name, "-")
}

func isRegpruneProgram(w string) bool {
	return w == "regprune" || (strings.HasSuffix(w, "/regprune") &&
		(strings.HasPrefix(w, "/") || strings.HasPrefix(w, "./") || strings.HasPrefix(w, "bin/")))
}

var regpruneImage = regexp.MustCompile(`^([a-z0-9.:-]+/)*regprune(:[\w.-]+)?$`)

func isRegpruneImage(w string) bool { return regpruneImage.MatchString(w) && w != "regprune" }

// validateArgs parses argv as the app would: global flags, the command
// path, the command's flags; a flag after the first argument is an error
// (urfave/cli would take it as an argument). Each call builds the app
// afresh: parsing writes into its flags.
func validateArgs(argv []string) error {
	app := cli.New(io.Discard, io.Discard)
	rest, err := parseFlags(append(slices.Clone(app.Flags), urfave.HelpFlag, urfave.VersionFlag), argv[1:])
	if err != nil {
		return fmt.Errorf("global flags: %w", err)
	}
	cmds := app.Commands
	var path []string
	for {
		if len(rest) == 0 {
			if len(path) == 0 && slices.ContainsFunc(argv, func(a string) bool { return a == "--help" || a == "--version" }) {
				return nil
			}
			return fmt.Errorf("no command after %q", strings.Join(path, " "))
		}
		i := slices.IndexFunc(cmds, func(c *urfave.Command) bool { return c.HasName(rest[0]) })
		if i < 0 {
			return fmt.Errorf("unknown command %q", strings.Join(append(path, rest[0]), " "))
		}
		cmd := cmds[i]
		path, rest = append(path, rest[0]), rest[1:]
		if len(cmd.Subcommands) == 0 {
			args, err := parseFlags(append(slices.Clone(cmd.Flags), urfave.HelpFlag), rest)
			if err != nil {
				return fmt.Errorf("%s: %w", strings.Join(path, " "), err)
			}
			for _, a := range args {
				if strings.HasPrefix(a, "-") && a != "-" {
					return fmt.Errorf("%s: %q after an argument is taken as an argument", strings.Join(path, " "), a)
				}
			}
			return nil
		}
		cmds = cmd.Subcommands
	}
}

func parseFlags(flags []urfave.Flag, args []string) ([]string, error) {
	fs := flag.NewFlagSet("regprune", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, f := range flags {
		if err := f.Apply(fs); err != nil {
			return nil, err
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return fs.Args(), durations(fs, flags)
}

// durations checks the value of every flag given whose placeholder is DUR
// (string flags that regprune parses itself: 30d, 2w, 36h).
func durations(fs *flag.FlagSet, flags []urfave.Flag) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		for _, cf := range flags {
			df, ok := cf.(urfave.DocGenerationFlag)
			if !ok || !slices.Contains(cf.Names(), f.Name) {
				continue
			}
			if strings.Contains(df.GetUsage(), "`DUR`") && err == nil {
				if _, perr := retention.ParseDuration(f.Value.String()); perr != nil {
					err = fmt.Errorf("--%s %q: %w", f.Name, f.Value.String(), perr)
				}
			}
		}
	})
	return err
}

var envName = regexp.MustCompile(`REGPRUNE_[A-Z_]+`)

// checkEnvNames: every REGPRUNE_ variable a recipe sets is a global flag's.
func checkEnvNames(t *testing.T, p string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var known []string
	for _, f := range cli.New(io.Discard, io.Discard).Flags {
		known = append(known, f.(urfave.DocGenerationFlag).GetEnvVars()...)
	}
	for _, name := range envName.FindAllString(string(data), -1) {
		if !slices.Contains(known, name) {
			t.Errorf("%s: %s is not an environment variable of regprune", p, name)
		}
	}
}
