package cli

import (
	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/progress"
)

// progressBars gives scan a progress display on stderr when it is a
// terminal and neither --json nor --quiet is set.
func progressBars(e *env) func(string, int64, progress.Unit, string) *progress.Bar {
	on := progress.Enabled(e.stderr, e.quiet, e.json)
	return func(phase string, total int64, unit progress.Unit, items string) *progress.Bar {
		return progress.New(e.stderr, on, phase, total, unit, items)
	}
}

// sweepBar counts the sweep on a progress bar (a terminal only, not with
// --json or --quiet), then calls removed, if any, for each object.
func sweepBar(e *env, plan *gc.Plan, removed func(gc.Phase, string)) (func(gc.Phase, string), *progress.Bar) {
	c := plan.Counts()
	total := c.Tags + c.Manifests + c.Debris + c.LayerLinks + c.Blobs + c.Uploads + c.Repositories
	bar := progress.Auto(e.stderr, e.quiet, e.json, "gc: sweeping", int64(total), progress.Items, "objects")
	if bar == nil {
		return removed, nil // no bar: gc then builds no name for an object nobody prints
	}
	return func(ph gc.Phase, name string) {
		bar.Add(1)
		if removed != nil {
			removed(ph, name)
		}
	}, bar
}
