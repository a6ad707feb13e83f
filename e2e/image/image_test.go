package image

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/dockerfile"
	"github.com/regprune/regprune/internal/shell"
)

const (
	testVersion = "v0.0.0-imagetest"
	testCommit  = "abc1234"
)

// TestDockerfileBuildsStaticBinary reads the Dockerfile, runs its build
// stage's `go build` on a copy of the build context (.dockerignore
// applied), and checks that the result is static, versioned, the image's
// entrypoint, the same command as `make build`, and that the completion
// script works with it. No container engine is needed.
func TestDockerfileBuildsStaticBinary(t *testing.T) {
	t.Parallel()
	f := parseDockerfile(t)
	build, ok := f.Stage("build")
	if !ok {
		t.Fatal("Dockerfile has no stage named build")
	}
	words, out := buildCommand(t, f, build)
	final := f.Stages[len(f.Stages)-1]
	checkFinalStage(t, final, out)
	checkSameAsMake(t, words)

	bin := filepath.Join(t.TempDir(), "regprune")
	runGoBuild(t, buildContext(t), words, out, bin)
	checkStatic(t, bin)
	checkBuildInfo(t, bin)

	got, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", bin, err)
	}
	want := "regprune version " + testVersion + " (commit " + testCommit + ", " + runtime.Version() + ")\n"
	if string(got) != want {
		t.Errorf("--version printed %q, want %q", got, want)
	}
	t.Run("bash completion", func(t *testing.T) { checkBashCompletion(t, filepath.Dir(bin)) })
}

func parseDockerfile(t *testing.T) *dockerfile.File {
	t.Helper()
	r, err := os.Open(filepath.Join(moduleRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := dockerfile.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// buildCommand returns the words of the build stage's `go build` RUN, with
// its ARGs (VERSION and COMMIT set as --build-arg would), and its -o path.
func buildCommand(t *testing.T, f *dockerfile.File, build *dockerfile.Stage) ([]string, string) {
	t.Helper()
	args := build.Args(f.GlobalArgs)
	for _, name := range []string{"VERSION", "COMMIT"} {
		if _, ok := args[name]; !ok {
			t.Errorf("build stage has no ARG %s", name)
		}
	}
	args["VERSION"], args["COMMIT"] = testVersion, testCommit
	for _, run := range build.Find("RUN") {
		if !strings.Contains(run.Args, "go build") {
			continue
		}
		words, err := shell.Words(run.Args, func(n string) (string, bool) { v, ok := args[n]; return v, ok })
		if err != nil {
			t.Fatalf("Dockerfile line %d: %v", run.Line, err)
		}
		i := slices.Index(words, "-o")
		if i < 0 || i+1 >= len(words) {
			t.Fatalf("Dockerfile line %d: go build without -o", run.Line)
		}
		return words, words[i+1]
	}
	t.Fatal("no RUN with go build in the build stage")
	return nil, ""
}

// checkFinalStage: distroless static or scratch, the built binary copied
// from the build stage and the entrypoint.
func checkFinalStage(t *testing.T, final *dockerfile.Stage, out string) {
	t.Helper()
	if !strings.HasPrefix(final.Base, "gcr.io/distroless/static") && final.Base != "scratch" {
		t.Errorf("final stage FROM %s, want distroless static or scratch", final.Base)
	}
	copies := final.Find("COPY")
	if len(copies) != 1 || !strings.HasPrefix(copies[0].Args, "--from=build "+out+" ") {
		t.Fatalf("final stage COPY %+v, want --from=build %s DEST", copies, out)
	}
	dest := strings.Fields(copies[0].Args)[2]
	ep := final.Find("ENTRYPOINT")
	if len(ep) != 1 {
		t.Fatalf("final stage ENTRYPOINT %+v", ep)
	}
	if words, ok := ep[0].Exec(); !ok || len(words) != 1 || words[0] != dest {
		t.Errorf("ENTRYPOINT %s, want [%q] in exec form", ep[0].Args, dest)
	}
}

// checkSameAsMake: `make build` runs the same command (but for -o).
func checkSameAsMake(t *testing.T, docker []string) {
	t.Helper()
	cmd := exec.Command("make", "-n", "build", "VERSION="+testVersion, "COMMIT="+testCommit, "GO=go")
	cmd.Dir = moduleRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make -n build: %v", err)
	}
	mk, err := shell.Words(strings.TrimSpace(string(out)), nil)
	if err != nil {
		t.Fatalf("make -n build printed %q: %v", out, err)
	}
	if a, b := withoutOutput(mk), withoutOutput(docker); !slices.Equal(a, b) {
		t.Errorf("make build runs %q\nDockerfile runs %q", a, b)
	}
}

func withoutOutput(words []string) []string {
	i := slices.Index(words, "-o")
	if i < 0 || i+1 >= len(words) {
		return words
	}
	return slices.Concat(words[:i], words[i+2:])
}

// runGoBuild runs words (NAME=VALUE... go build ...) in dir with -o bin.
func runGoBuild(t *testing.T, dir string, words []string, out, bin string) {
	t.Helper()
	env := os.Environ()
	for len(words) > 0 && strings.Contains(words[0], "=") {
		env = append(env, words[0])
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("build command %q is not go build", words)
	}
	words = slices.Clone(words)
	words[slices.Index(words, out)] = bin
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), words[1:]...)
	cmd.Dir, cmd.Env = dir, append(env, "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%q in the build context: %v\n%s", words, err, b)
	}
}

// checkStatic: no program interpreter, no dynamic section, no libraries.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %v program header: not static", bin, p.Type)
		}
	}
	if s := f.Section(".interp"); s != nil {
		t.Errorf("%s has an .interp section", bin)
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs %v", bin, libs)
	}
}

// checkBuildInfo: what `go version -m` shows.
func checkBuildInfo(t *testing.T, bin string) {
	t.Helper()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	// -trimpath leaves -ldflags out of the build info; --version shows them.
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("build settings %v", settings)
	}
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "version", "-m", bin).Output()
	if err != nil || !strings.Contains(string(out), "CGO_ENABLED=0") {
		t.Errorf("go version -m: %v\n%s", err, out)
	}
}

// checkBashCompletion sources the shipped script and completes with the
// built binary on PATH.
func checkBashCompletion(t *testing.T, binDir string) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to test the completion script")
	}
	cases := map[string]string{
		"regprune ta":               "tag",
		"regprune tag r":            "rm",
		"regprune check --verify-d": "--verify-digests",
		"regprune --root /x pru":    "prune",
	}
	for line, want := range cases {
		script := "source docs/completion/regprune.bash\nCOMP_WORDS=(" + line + ")\nCOMP_CWORD=$((${#COMP_WORDS[@]}-1))\n" +
			"_regprune\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
		cmd.Dir = moduleRoot
		cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || !slices.Contains(strings.Fields(string(out)), want) {
			t.Errorf("completing %q: %v, got %q, want %s", line, err, out, want)
		}
	}
}
