package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Epoch is the Now of cached and benchmark trees: a fixed date, so that the
// same config always writes the same tree, and everything is long past.
var Epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Bench is the tree the benchmarks and `make bench` measure: Defaults
// scaled to repos x tags, with a pool of 50 shared base layers and 100
// orphan blobs, dated long before Epoch.
func Bench(repos, tags int) Config {
	c := Defaults()
	c.Repositories, c.TagsPerRepository = repos, tags
	c.BaseLayers, c.OrphanBlobs = 50, 100
	c.Now = Epoch
	return c
}

// BenchDir is where Cached keeps trees: $REGPRUNE_BENCH_DIR, or
// regprune-bench in the temporary directory. Remove it when done.
func BenchDir() string {
	if d := os.Getenv("REGPRUNE_BENCH_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "regprune-bench")
}

// Cached returns the tree of c kept under dir, generating it the first
// time. A cached tree must be read, never changed: copy it to collect it.
// Processes may race to generate the same tree; one wins, the others use
// its tree.
func Cached(dir string, c Config) (*Result, error) {
	if c.Now.IsZero() {
		c.Now = Epoch
	}
	key, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	final := filepath.Join(dir, fmt.Sprintf("%dx%d-%s", c.Repositories, c.TagsPerRepository, hex.EncodeToString(sum[:6])))
	if res, err := load(final); err == nil {
		return res, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, ".gen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // after a successful rename, nothing is left there
	res, err := Generate(filepath.Join(tmp, "root"), c)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "result.json"), b, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, lerr := load(final); lerr != nil {
			return nil, err // the rename failed and no other process made the tree
		}
	}
	return load(final)
}

func load(dir string) (*Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		return nil, err
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	res.Root = filepath.Join(dir, "root")
	return &res, nil
}

// BenchFlags registers -bench.repos and -bench.tags on the command line
// (call it once per test binary, from a package variable) and returns the
// config they select, for use after flag parsing.
func BenchFlags() func() Config {
	repos := flag.Int("bench.repos", 100, "repositories of the generated benchmark tree")
	tags := flag.Int("bench.tags", 20, "tags per repository of the generated benchmark tree")
	return func() Config { return Bench(*repos, *tags) }
}
