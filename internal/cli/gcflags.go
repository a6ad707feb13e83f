package cli

import (
	"log/slog"
	"time"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

// gcFlagValues are the gc flags, shared by gc and prune (which runs gc
// --delete-untagged after removing tags).
type gcFlagValues struct {
	Grace               time.Duration
	UploadsOlderThan    time.Duration
	KeepOrphanReferrers bool
	Jobs                int
	KeepRemoved         time.Duration // --keep-removed (or the policy's keep_removed)
	KeepRemovedSet      bool          // given on the command line
	JournalRetention    time.Duration
	GraceDefault        bool // --grace not given: the default applies
}

// Defaults of the gc flags.
const (
	defaultGrace            = "1h"
	defaultUploadsOlderThan = "168h"
)

// sharedGCFlags defines the gc flags. Durations take ParseDuration's forms
// (36h, 30d, 2w).
func sharedGCFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "grace", Value: defaultGrace, Usage: "keep blobs, revisions, layer links and uploads modified within `DUR` (0: none)"},
		&cli.StringFlag{Name: "uploads-older-than", Value: defaultUploadsOlderThan, Usage: "remove upload sessions started more than `DUR` ago"},
		&cli.BoolFlag{Name: "keep-orphan-referrers", Usage: "keep referrer tags (sha256-<hex>[.sig|.att|.sbom]) whose subject is gone"},
		&cli.IntFlag{Name: "jobs", Value: storage.DefaultJobs, Usage: "at most `N` storage operations in parallel"},
		keepRemovedFlag(),
		journalRetentionFlag(),
	}
}

// readGCFlags reads and checks the gc flags (usage errors, exit 2).
func readGCFlags(c *cli.Context) (gcFlagValues, error) {
	v := gcFlagValues{KeepOrphanReferrers: c.Bool("keep-orphan-referrers"), Jobs: c.Int("jobs"), GraceDefault: !c.IsSet("grace")}
	var err error
	if v.Grace, err = retention.ParseDuration(c.String("grace")); err != nil {
		return v, usagef("--grace: %v", err)
	}
	if v.UploadsOlderThan, err = retention.ParseDuration(c.String("uploads-older-than")); err != nil {
		return v, usagef("--uploads-older-than: %v", err)
	}
	if v.Jobs < 1 {
		return v, usagef("--jobs %d: want 1 or more", v.Jobs)
	}
	if v.KeepRemoved, err = retention.ParseDuration(c.String("keep-removed")); err != nil {
		return v, usagef("--keep-removed: %v", err)
	}
	v.KeepRemovedSet = c.IsSet("keep-removed")
	if v.JournalRetention, err = readJournalRetention(c); err != nil {
		return v, err
	}
	return v, checkWindow(v.KeepRemoved, v.JournalRetention)
}

// options are the gc options of the flags.
func (v gcFlagValues) options(deleteUntagged bool, log *slog.Logger) gc.Options {
	return gc.Options{
		DeleteUntagged: deleteUntagged, Grace: v.Grace, UploadsOlderThan: v.UploadsOlderThan,
		KeepOrphanReferrers: v.KeepOrphanReferrers, Jobs: v.Jobs, Log: log,
	}
}
