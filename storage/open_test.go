package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

func TestLocateOrder(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == RootEnv {
				return v
			}
			return ""
		}
	}
	exists := func(ok bool) func(string) bool {
		return func(p string) bool { return ok && p == DefaultConfigPath }
	}
	existsV3 := func(p string) bool { return p == DefaultConfigPathV3 }
	cases := []struct {
		name         string
		root, config string
		env          string
		defaultConf  bool
		want         Location
	}{
		{"root first", "/r", "", "/e", true, Location{Root: "/r", How: "--root"}},
		{"config next", "", "/c.yml", "/e", true, Location{Config: "/c.yml", How: "--config"}},
		{"env next", "", "", "/e", true, Location{Root: "/e", How: "$" + RootEnv}},
		{"default config", "", "", "", true, Location{Config: DefaultConfigPath, How: "default config " + DefaultConfigPath}},
		{"default root", "", "", "", false, Location{Root: DefaultRoot, How: "default root " + DefaultRoot}},
	}
	for _, c := range cases {
		got, err := Locate(c.root, c.config, env(c.env), exists(c.defaultConf))
		if err != nil || got != c.want {
			t.Errorf("%s: Locate = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	if _, err := Locate("/r", "/c.yml", env(""), exists(false)); !errors.Is(err, ErrUsage) {
		t.Errorf("--root with --config: %v, want ErrUsage", err)
	}
	// registry:3 keeps its config elsewhere; the zero-flag default finds it.
	want := Location{Config: DefaultConfigPathV3, How: "default config " + DefaultConfigPathV3}
	if got, err := Locate("", "", env(""), existsV3); err != nil || got != want {
		t.Errorf("registry:3's config: Locate = %+v, %v; want %+v", got, err, want)
	}
	if got, err := Locate("", "", env("/e"), existsV3); err != nil || got.Root != "/e" {
		t.Errorf("$%s before registry:3's config: %+v, %v", RootEnv, got, err)
	}
	// Both images' configs: which registry is meant is unknown.
	both := func(p string) bool { return p == DefaultConfigPath || p == DefaultConfigPathV3 }
	if got, err := Locate("", "", env(""), both); !errors.Is(err, ErrUsage) ||
		!strings.Contains(err.Error(), DefaultConfigPath) || !strings.Contains(err.Error(), DefaultConfigPathV3) {
		t.Errorf("both default configs: %+v, %v; want ErrUsage naming both", got, err)
	}
	if got, err := Locate("", "/c.yml", env(""), both); err != nil || got.Config != "/c.yml" {
		t.Errorf("--config with both default configs present: %+v, %v", got, err)
	}
}

// newRoot makes an empty registry root (docker/registry/v2/repositories).
func newRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docker", "registry", "v2", "repositories"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestOpenRoot(t *testing.T) {
	t.Parallel()
	root := newRoot(t)
	st, err := Open(context.Background(), Location{Root: root, How: "--root"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != "filesystem" || st.LocalRoot != root {
		t.Errorf("Open: type %q root %q, want filesystem %q", st.Type, st.LocalRoot, root)
	}
	if d := st.Describe(); !strings.Contains(d, root) || !strings.Contains(d, "--root") {
		t.Errorf("Describe() = %q: names neither root nor how it was found", d)
	}
}

// TestOpenRefusesNonRegistry: a root without repositories is refused with
// an error naming it, and nothing is written there.
func TestOpenRefusesNonRegistry(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	noRepos := t.TempDir()
	regtest.WriteFile(t, filepath.Join(noRepos, "docker", "registry", "v2", "blobs", "x"), []byte("x"))
	notDir := t.TempDir()
	regtest.WriteFile(t, filepath.Join(notDir, "docker", "registry", "v2", "repositories"), []byte("a file"))
	for _, root := range []string{empty, noRepos, notDir, filepath.Join(empty, "missing")} {
		var before regtest.Tree
		if root != filepath.Join(empty, "missing") {
			before = regtest.Snapshot(t, root)
		}
		_, err := Open(context.Background(), Location{Root: root, How: "--root"})
		if !errors.Is(err, ErrNotRegistry) || !strings.Contains(err.Error(), root) {
			t.Errorf("Open(%s) = %v, want ErrNotRegistry naming the root", root, err)
		}
		if before != nil {
			regtest.AssertUnchanged(t, root, before)
		}
	}
	if _, err := os.Stat(filepath.Join(empty, "missing")); !os.IsNotExist(err) {
		t.Errorf("Open created the missing root: %v", err)
	}
}

const configYAML = `version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: :5000
`

func writeConfig(t *testing.T, root string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yml")
	regtest.WriteFile(t, p, []byte(strings.Replace(configYAML, "%s", root, 1)))
	return p
}

func TestOpenConfig(t *testing.T) {
	t.Parallel()
	root := newRoot(t)
	st, err := Open(context.Background(), Location{Config: writeConfig(t, root), How: "--config"})
	if err != nil {
		t.Fatal(err)
	}
	if st.LocalRoot != root || st.Type != "filesystem" {
		t.Errorf("Open(config) = %s %q, want filesystem %q", st.Type, st.LocalRoot, root)
	}
}

// TestOpenConfigEnvOverride: the registry's REGISTRY_* environment
// overrides apply to the config file as in the registry itself. Not
// parallel: it sets the environment.
func TestOpenConfigEnvOverride(t *testing.T) {
	root := newRoot(t)
	cfg := writeConfig(t, filepath.Join(t.TempDir(), "not-this-one"))
	t.Setenv(RootEnv, root)
	st, err := Open(context.Background(), Location{Config: cfg, How: "--config"})
	if err != nil {
		t.Fatal(err)
	}
	if st.LocalRoot != root {
		t.Errorf("with $%s: root %q, want %q", RootEnv, st.LocalRoot, root)
	}
	// Two drivers (the file's, and one from the environment): refused, no
	// panic (distribution's parser panics there).
	t.Setenv("REGISTRY_STORAGE", "s3")
	if _, err := Open(context.Background(), Location{Config: cfg, How: "--config"}); !errors.Is(err, ErrConfig) ||
		!strings.Contains(err.Error(), "more than one storage driver") {
		t.Errorf("two drivers: %v, want ErrConfig", err)
	}
	os.Unsetenv(RootEnv) // t.Setenv restores it after the test
	// REGISTRY_STORAGE replaces the driver, as in the registry; regprune
	// does not register the inmemory driver, so it is refused by name.
	t.Setenv("REGISTRY_STORAGE", "inmemory")
	st, err = Open(context.Background(), Location{Config: cfg, How: "--config"})
	if !errors.Is(err, ErrConfig) || !strings.Contains(fmt.Sprint(err), `"inmemory"`) {
		t.Errorf("REGISTRY_STORAGE=inmemory: %v, %v; want ErrConfig naming the driver", st, err)
	}
}

func TestOpenBadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := map[string]string{
		"not yaml":  "::: {",
		"no driver": "version: 0.1\nlog:\n  level: info\n",
		"two":       "version: 0.1\nstorage:\n  filesystem: {}\n  inmemory: {}\n",
		"unknown":   "version: 0.1\nstorage:\n  nosuchdriver: {}\n",
	}
	for name, content := range bad {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yml")
		regtest.WriteFile(t, p, []byte(content))
		if _, err := Open(context.Background(), Location{Config: p, How: "--config"}); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Open = %v, want ErrConfig", name, err)
		}
	}
	if _, err := Open(context.Background(), Location{Config: filepath.Join(dir, "missing.yml")}); !errors.Is(err, ErrConfig) {
		t.Errorf("missing config: %v, want ErrConfig", err)
	}
}

// An empty --root or --config given explicitly (an unset shell variable)
// is a usage error naming it, never a reason to look elsewhere; so is
// $REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY set but empty.
func TestLocateFlagsEmptyGiven(t *testing.T) {
	t.Parallel()
	none := func(string) (string, bool) { return "", false }
	emptyEnv := func(k string) (string, bool) { return "", k == RootEnv }
	exists := func(string) bool { return true }
	cases := []struct {
		root, config Flag
		env          func(string) (string, bool)
		want         string // in the error
	}{
		{Flag{"", true}, Flag{}, none, "--root is empty"},
		{Flag{}, Flag{"", true}, none, "--config is empty"},
		{Flag{"", true}, Flag{"/c.yml", true}, none, "--root is empty"},
		{Flag{}, Flag{}, emptyEnv, "$" + RootEnv + " is set but empty"},
	}
	for _, c := range cases {
		loc, err := LocateFlags(c.root, c.config, c.env, exists)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LocateFlags(%+v, %+v) = %+v, %v; want ErrUsage: %s", c.root, c.config, loc, err, c.want)
		}
	}
	loc, err := LocateFlags(Flag{}, Flag{}, none, func(string) bool { return false })
	if err != nil || loc.Root != DefaultRoot {
		t.Errorf("nothing given: %+v, %v; want the default root", loc, err)
	}
	loc, err = LocateFlags(Flag{"/r", true}, Flag{}, emptyEnv, exists)
	if err != nil || loc.Root != "/r" {
		t.Errorf("--root with an empty environment variable: %+v, %v", loc, err)
	}
}
