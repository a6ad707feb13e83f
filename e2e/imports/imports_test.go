package imports

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/regprune/regprune"

// The layers, lowest first: a layer may import the layers below it, never
// one above or beside it (scan and pulls are siblings; retention may use
// pulls, the pull history it judges by; restore sits beside gc).
var (
	storage   = module + "/storage"
	scan      = module + "/scan"
	retention = module + "/retention"
	pulls     = module + "/pulls"
	gc        = module + "/gc"
	restore   = module + "/restore"
	cmds      = module + "/internal/cli"
	root      = module // package main
)

// below says which layers each layer may import (directly or not).
var below = map[string][]string{
	storage:   {},
	scan:      {storage},
	pulls:     {storage},
	retention: {storage, pulls},
	gc:        {storage, scan, retention, pulls},
	restore:   {storage, scan}, // beside gc: puts back what the journal says was removed
	cmds:      {storage, scan, retention, pulls, gc, restore},
	root:      {cmds, storage, scan, retention, pulls, gc, restore},
}

// pkg is one package of the module as go list describes it.
type pkg struct {
	path    string
	imports []string // the module's packages it imports directly (no tests)
	deps    []string // the module's packages it needs, directly or not
}

// listModule runs go list on the whole module (non-test imports).
func listModule(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-f",
		"{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}", "./...")
	cmd.Dir = filepath.Join("..", "..") // the repository's root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("go list printed %q", line)
		}
		pkgs[f[0]] = pkg{path: f[0], imports: ours(f[1]), deps: ours(f[2])}
	}
	return pkgs
}

// ours keeps the module's packages of a space-separated list.
func ours(list string) []string {
	var out []string
	for _, p := range strings.Fields(list) {
		if p == module || strings.HasPrefix(p, module+"/") {
			out = append(out, p)
		}
	}
	return out
}

// kind places a package: one of the layers, a helper under internal/ (it
// may be used by any layer and uses at most storage), or an end-to-end
// test package (no non-test imports).
func kind(path string) string {
	switch {
	case below[path] != nil:
		return "layer"
	case strings.HasPrefix(path, module+"/internal/"):
		return "helper"
	case path == module+"/e2e" || strings.HasPrefix(path, module+"/e2e/"):
		return "e2e"
	}
	return ""
}

// TestImportRules: storage <- scan, retention <- gc <- internal/cli <- main,
// helpers below all but storage, and nothing but main imports the command
// layer; what go list -deps shows.
func TestImportRules(t *testing.T) {
	t.Parallel()
	pkgs := listModule(t)
	for _, l := range []string{storage, scan, retention, gc, restore, cmds, root} {
		if _, ok := pkgs[l]; !ok {
			t.Fatalf("go list does not show %s", l)
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// violations lists every way pkgs break the rules.
func violations(pkgs map[string]pkg) []string {
	var out []string
	for _, p := range sorted(pkgs) {
		switch kind(p.path) {
		case "layer":
			if bad := layersIn(p.deps, below[p.path]...); len(bad) > 0 {
				out = append(out, fmt.Sprintf("%s needs %v (go list -deps); it may only use %s", p.path, bad, names(below[p.path])))
			}
		case "helper":
			if bad := layersIn(p.deps, storage); len(bad) > 0 {
				out = append(out, fmt.Sprintf("helper %s needs %v: helpers may use storage, no layer above it", p.path, bad))
			}
		case "e2e":
			if len(p.imports) > 0 {
				out = append(out, fmt.Sprintf("%s imports %v outside its tests", p.path, p.imports))
			}
		default:
			out = append(out, fmt.Sprintf("package %s is in no layer: place it in below (or under internal/) in e2e/imports", p.path))
		}
		if slices.Contains(p.imports, cmds) && p.path != root {
			out = append(out, fmt.Sprintf("%s imports the command layer %s: only main may", p.path, cmds))
		}
	}
	if got := layersIn(pkgs[cmds].imports); !sameSet(got, below[cmds]) {
		out = append(out, fmt.Sprintf("the command layer imports the layers %v, want all of %v", got, below[cmds]))
	}
	if got := pkgs[root].imports; !slices.Equal(got, []string{cmds}) {
		out = append(out, fmt.Sprintf("main imports %v, want only %s", got, cmds))
	}
	return out
}

// TestViolationsFound: a module breaking each rule gets each reported.
func TestViolationsFound(t *testing.T) {
	t.Parallel()
	regtest, stray := module+"/internal/regtest", module+"/stray"
	pkgs := map[string]pkg{}
	for _, p := range []pkg{
		{path: storage, imports: []string{scan}, deps: []string{scan}},
		{path: scan, deps: []string{storage}},
		{path: retention, imports: []string{scan}, deps: []string{scan, storage}},
		{path: gc, imports: []string{cmds}, deps: []string{cmds, storage}},
		{path: cmds, imports: []string{storage, scan}, deps: []string{storage, scan}},
		{path: root, imports: []string{cmds, gc}, deps: []string{cmds, gc}},
		{path: regtest, imports: []string{gc}, deps: []string{gc}},
		{path: stray, imports: []string{storage}, deps: []string{storage}},
		{path: module + "/e2e/commands", imports: []string{cmds}, deps: []string{cmds}},
	} {
		pkgs[p.path] = p
	}
	got := strings.Join(violations(pkgs), "\n")
	for _, want := range []string{
		storage + " needs [" + scan + "]",
		retention + " needs [" + scan + "]",
		gc + " needs [" + cmds + "]",
		gc + " imports the command layer",
		"helper " + regtest + " needs [" + gc + "]",
		"package " + stray + " is in no layer",
		module + "/e2e/commands imports [" + cmds + "] outside its tests",
		module + "/e2e/commands imports the command layer",
		"the command layer imports the layers",
		"main imports [" + cmds + " " + gc + "]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("violations lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, scan+" needs") {
		t.Errorf("scan needing storage reported:\n%s", got)
	}
}

// layersIn lists the layers among paths, except those allowed.
func layersIn(paths []string, allowed ...string) []string {
	var out []string
	for _, p := range paths {
		if kind(p) == "layer" && !slices.Contains(allowed, p) {
			out = append(out, p)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

func names(paths []string) string {
	if len(paths) == 0 {
		return "nothing of regprune"
	}
	return fmt.Sprint(paths)
}

func sorted(pkgs map[string]pkg) []pkg {
	out := make([]pkg, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// TestKind: the classification the rules rest on.
func TestKind(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		root: "layer", storage: "layer", gc: "layer", cmds: "layer",
		module + "/internal/regtest": "helper", module + "/internal/gen/cmd/gentree": "helper",
		module + "/e2e/commands": "e2e", module + "/e2e": "e2e",
		module + "/pulls": "layer", restore: "layer", module + "/stray": "", module + "/e2efoo": "",
	} {
		if got := kind(path); got != want {
			t.Errorf("kind(%s) = %q, want %q", path, got, want)
		}
	}
}
