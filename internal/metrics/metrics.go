// Package metrics writes what a regprune run did as a Prometheus text-format
// file for node_exporter's textfile collector.
//
// One file may serve several commands: every series carries a command label,
// and a run replaces only its own command's series, keeping the others and
// carrying its own counters (runs, failures) and its last success time over
// from the previous file. The file is replaced atomically: a temporary file in
// the same directory (not ending in .prom, so the collector never reads it
// half-written), then a rename.
package metrics

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Removed counts what a run removed (or, with --dry-run, would remove).
type Removed struct {
	Tags, Manifests, Blobs, LayerLinks, Uploads, Repositories int
}

// Add adds o to r.
func (r *Removed) Add(o Removed) {
	r.Tags += o.Tags
	r.Manifests += o.Manifests
	r.Blobs += o.Blobs
	r.LayerLinks += o.LayerLinks
	r.Uploads += o.Uploads
	r.Repositories += o.Repositories
}

// Run is what one regprune run reports. Commands fill it as they go; the
// program writes it once, at the end, whatever the outcome.
type Run struct {
	Command    string        // "prune", "gc", "tag rm", ...
	Start      time.Time     // when the run began
	Duration   time.Duration // how long it took
	Failed     bool          // the run ended with a non-zero exit status
	DryRun     bool          // nothing was changed; Removed counts what would go
	Removed    Removed       // tags, manifests, blobs ... removed
	FreedBytes int64         // bytes of blob data removed
	Checked    bool          // the run verified the storage (check): Problems is meaningful
	Problems   int           // problems found by check
}

// Metric names, all with a "command" label.
const (
	nameRuns        = "regprune_runs_total"
	nameFailures    = "regprune_failures_total"
	nameSuccess     = "regprune_last_run_success"
	nameLastRun     = "regprune_last_run_timestamp_seconds"
	nameLastSuccess = "regprune_last_success_timestamp_seconds"
	nameDuration    = "regprune_last_run_duration_seconds"
	nameDryRun      = "regprune_last_run_dry_run"
	nameRemoved     = "regprune_last_run_removed"
	nameFreed       = "regprune_last_run_freed_bytes"
	nameProblems    = "regprune_last_run_problems"
)

// WriteFile records r in the textfile at path, keeping the series of other
// commands and r.Command's counters from the file already there.
func WriteFile(path string, r Run) error {
	old, err := readFile(path)
	if err != nil {
		return err
	}
	fams := build(old, r)
	return writeAtomic(path, fams)
}

// ReadFile parses a metrics file, as the textfile collector would.
func ReadFile(path string) (map[string]*dto.MetricFamily, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var p expfmt.TextParser
	return p.TextToMetricFamilies(f)
}

// readFile parses the previous file; a missing file is an empty one.
func readFile(path string) (map[string]*dto.MetricFamily, error) {
	fams, err := ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return map[string]*dto.MetricFamily{}, nil
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("metrics file %s: %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("metrics file %s: not Prometheus text format (remove it to start afresh): %w", path, err)
	}
	return fams, nil
}

// writeAtomic writes fams to a temporary file beside path and renames it.
func writeAtomic(path string, fams []*dto.MetricFamily) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	for _, mf := range fams {
		if _, err = expfmt.MetricFamilyToText(tmp, mf); err != nil {
			return fmt.Errorf("metrics file %s: %w", path, err)
		}
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	return nil
}
