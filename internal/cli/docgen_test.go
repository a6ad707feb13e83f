package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestWriteDocsRemovesStalePages: a page of a command that no longer
// exists goes; every generated file is written.
func TestWriteDocsRemovesStalePages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := filepath.Join(dir, referenceDir, "regprune-gone.md")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, 0, "docs", "--dir", dir)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale page kept: %v", err)
	}
	for _, rel := range []string{"reference/regprune.md", "reference/regprune-tag-rm.md", "regprune.1", "completion/_regprune"} {
		if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
			t.Errorf("%s not written: %v", rel, err)
		}
	}
}

// TestReferenceNamesEveryFlag: each command's page lists each of its
// visible flags, and the man page names every command.
func TestReferenceNamesEveryFlag(t *testing.T) {
	t.Parallel()
	app := New(io.Discard, io.Discard)
	files, err := generatedDocs(app)
	if err != nil {
		t.Fatal(err)
	}
	man := files[manPage]
	for _, lc := range leafCommands(app.Commands, nil) {
		page := files[filepath.Join(referenceDir, lc.file())]
		for _, f := range visible(lc.cmd.Flags) {
			if !strings.Contains(page, "`--"+f.Names()[0]) {
				t.Errorf("%s does not list --%s", lc.file(), f.Names()[0])
			}
		}
		if !strings.Contains(man, strings.Join(lc.path, " ")) {
			t.Errorf("man page does not name %s", lc.name())
		}
	}
	for _, s := range []string{".TH", "EXIT STATUS", "ENVIRONMENT", "REGPRUNE_ROOT"} {
		if !strings.Contains(man, s) {
			t.Errorf("man page lacks %q", s)
		}
	}
}

// TestGlobalFlagsFromEnvironment: every global flag has its REGPRUNE_
// variable, and --help shows it.
func TestGlobalFlagsFromEnvironment(t *testing.T) {
	t.Parallel()
	help := mustRun(t, 0, "--help").Stdout
	for _, f := range globalFlags() {
		name := f.Names()[0]
		want := "REGPRUNE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		env := f.(cli.DocGenerationFlag).GetEnvVars()
		if !slices.Contains(env, want) {
			t.Errorf("--%s: environment %v, want %s", name, env, want)
		}
		if !strings.Contains(help, "[$"+want+"]") {
			t.Errorf("--help does not show $%s", want)
		}
	}
}

func TestLogLevelFromEnvironment(t *testing.T) {
	t.Setenv("REGPRUNE_LOG_LEVEL", "loud")
	r := mustRun(t, 2, "--root", t.TempDir(), "check")
	if !strings.Contains(r.Stderr, `--log-level "loud"`) {
		t.Errorf("stderr:\n%s", r.Stderr)
	}
}

// TestVersion: --version prints what main was built with, "dev" without.
func TestVersion(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"regprune", "--version"}, &out, &errb, WithVersion("v1.2.3", "abc1234")); code != 0 {
		t.Fatalf("--version: exit %d\n%s", code, errb.String())
	}
	if want := "regprune version v1.2.3 (commit abc1234, go1."; !strings.HasPrefix(out.String(), want) {
		t.Errorf("--version %q, want %q...", out.String(), want)
	}
	if got := mustRun(t, 0, "--version").Stdout; !strings.HasPrefix(got, "regprune version dev (commit none, go1.") {
		t.Errorf("--version without WithVersion: %q", got)
	}
}

func TestCompletionCommand(t *testing.T) {
	t.Parallel()
	if got := mustRun(t, 0, "completion", "bash").Stdout; got != bashCompletion || !strings.Contains(got, "complete -F _regprune regprune") {
		t.Errorf("completion bash:\n%s", got)
	}
	if got := mustRun(t, 0, "completion", "zsh").Stdout; got != zshCompletion || !strings.HasPrefix(got, "#compdef regprune") {
		t.Errorf("completion zsh:\n%s", got)
	}
	mustRun(t, 2, "completion", "fish")
	mustRun(t, 2, "completion")
}
