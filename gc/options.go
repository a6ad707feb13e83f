// Package gc is regprune's mark-and-sweep garbage collector for a
// distribution registry's storage. NewPlan reads the storage and marks,
// repository by repository, everything a tag (or, without DeleteUntagged,
// any manifest revision) keeps alive; it deletes nothing. Plan.Execute
// deletes what the plan holds, in an order that leaves every live tag
// pullable if the process dies at any moment. A dry run prints the plan.
package gc

import (
	"io"
	"log/slog"
	"time"

	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// Defaults of the options, as the command line offers them.
const (
	DefaultGrace            = time.Hour
	DefaultUploadsOlderThan = 168 * time.Hour
)

// Options says what gc collects and how.
type Options struct {
	// DeleteUntagged removes manifest revisions no tag reaches (and
	// orphan referrer tags). Without it every revision is a root.
	DeleteUntagged bool
	// Grace keeps blobs, revisions, layer links, upload sessions (and
	// referrer tags) modified within this duration before Now.
	Grace time.Duration
	// UploadsOlderThan removes upload sessions started before Now minus it.
	UploadsOlderThan time.Duration
	// KeepOrphanReferrers keeps referrer tags whose subject is gone.
	KeepOrphanReferrers bool
	// Jobs bounds parallel storage I/O (storage.DefaultJobs when < 1).
	Jobs int
	// Now is the time ages are measured from (time.Now() when zero).
	Now time.Time
	// Log receives debug and warning records (discarded when nil).
	Log *slog.Logger
	// IgnoreTag, when set, makes NewPlan plan as if the tags for which it
	// returns true were already removed (prune --dry-run predicts the gc
	// that follows its tag removals). Execute does not use it.
	IgnoreTag func(repository, tag string) bool
	// Removed, when set, is called by Execute for every object it
	// removed: the phase and the object's name ("repo@sha256:...", ...);
	// never from two goroutines at once.
	Removed func(Phase, string)
	// KeepRemoved, per repository, are the manifests of tags removed
	// within the --keep-removed window (from the journal): NewPlan marks
	// them live (after everything else), so that restore can still put
	// those tags back; the plan counts what only they keep.
	KeepRemoved map[string][]storage.Digest
	// Journal is the run's journal: Execute records in it the tags and
	// manifest revisions it is about to remove before it removes
	// anything, and removes tags through it. Execute refuses a plan that
	// removes tags or revisions without one.
	Journal *storage.Journal
	// Manifests, when set, is the parsed-manifest cache NewPlan reads
	// through, shared with another reader of the same storage (scan runs
	// its inventory beside the plan); nil: a cache of the plan's own.
	Manifests *scan.Manifests
}

// Phase is one step of the sweep, in execution order.
type Phase string

// The sweep's phases, in the order Execute runs them.
const (
	PhaseTags         Phase = "tags"        // orphan referrer tags
	PhaseManifests    Phase = "manifests"   // untagged revisions and their tag history entries
	PhaseDebris       Phase = "debris"      // revision, layer link and tag history directories without their link
	PhaseLayerLinks   Phase = "layer_links" // _layers links no remaining manifest references
	PhaseBlobs        Phase = "blobs"       // blobs no repository references
	PhaseUploads      Phase = "uploads"     // old upload sessions
	PhaseRepositories Phase = "repositories"
	PhaseDirectories  Phase = "directories" // directories left empty
)

// Phases lists the phases in execution order.
var Phases = []Phase{PhaseTags, PhaseManifests, PhaseDebris, PhaseLayerLinks, PhaseBlobs, PhaseUploads, PhaseRepositories, PhaseDirectories}

func (o Options) withDefaults() Options {
	if o.Jobs < 1 {
		o.Jobs = storage.DefaultJobs
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// recent reports whether a modification time lies within the grace.
func (o Options) recent(mt time.Time) bool {
	return mt.After(o.Now.Add(-o.Grace))
}
