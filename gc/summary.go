package gc

import (
	"time"

	"github.com/regprune/regprune/storage"
)

// TagRemoval is an orphan referrer tag to remove (its whole directory).
type TagRemoval struct {
	Repository, Tag string
	Digest          storage.Digest // its current manifest
	Pushed          time.Time      // its push time (for the journal)
}

// ManifestRemoval is an untagged manifest revision to remove.
type ManifestRemoval struct {
	Repository string
	Digest     storage.Digest
	// Depth is how many removed indexes of the repository lie above it
	// (0: no removed index lists it as a child). Revisions are removed
	// by depth, so that a removed index never outlives its children.
	Depth int
}

// HistoryRemoval is an entry of a tag's index/ history naming a removed
// revision.
type HistoryRemoval struct {
	Repository, Tag string
	Digest          storage.Digest
}

// LayerLinkRemoval is a _layers link no remaining manifest of its
// repository references.
type LayerLinkRemoval struct {
	Repository string
	Digest     storage.Digest
}

// BlobRemoval is a blob no repository references.
type BlobRemoval struct {
	Digest storage.Digest
	Size   int64 // size of its data (0 when the data file is missing)
	// Repositories whose removed revisions or layer links referenced it
	// (none for an orphan blob), sorted: for attribution of freed space.
	Repositories []string
}

// UploadRemoval is an upload session older than UploadsOlderThan.
type UploadRemoval struct {
	Repository, ID string
	Started        time.Time
}

// Counts are numbers of removed objects, by kind.
type Counts struct {
	Tags         int `json:"tags"`
	Manifests    int `json:"manifests"`
	Blobs        int `json:"blobs"`
	LayerLinks   int `json:"layer_links"`
	Uploads      int `json:"uploads"`
	Repositories int `json:"repositories"`
	TagHistory   int `json:"tag_history"` // index/ entries of removed revisions
	Debris       int `json:"debris"`      // leaf directories without their link
}

// Summary is what a run removed (or, for a dry run, would remove).
type Summary struct {
	DryRun     bool   `json:"dry_run"`
	FreedBytes int64  `json:"freed_bytes"`
	Removed    Counts `json:"removed"`
	KeptRecent int    `json:"kept_recent"`
	// KeptRemoved counts the images of removed tags kept for restore
	// (--keep-removed); KeptRemovedBytes is the blob data only they keep.
	KeptRemoved      int      `json:"kept_removed"`
	KeptRemovedBytes int64    `json:"kept_removed_bytes"`
	Warnings         []string `json:"warnings"`
	// Malformed are the links found that are no link (Plan.Malformed),
	// kept: a run that finds one ends non-zero.
	Malformed []string `json:"malformed"`
}

// FreedBytes is the size of the blob data the plan removes.
func (p *Plan) FreedBytes() int64 {
	var n int64
	for _, b := range p.blobRemovals {
		n += b.size
	}
	return n
}

// Counts are the numbers of objects the plan removes.
func (p *Plan) Counts() Counts {
	return Counts{
		Tags: len(p.Tags), Manifests: len(p.revs), Blobs: len(p.blobRemovals),
		LayerLinks: len(p.links), Uploads: len(p.Uploads),
		Repositories: len(p.Repositories), TagHistory: len(p.History), Debris: len(p.Debris),
	}
}

// Summary is the plan's outcome: what a real run removes when nothing
// changes in the storage meanwhile.
func (p *Plan) Summary(dryRun bool) Summary {
	return Summary{
		DryRun: dryRun, FreedBytes: p.FreedBytes(), Removed: p.Counts(),
		KeptRecent: p.KeptRecent, KeptRemoved: p.KeptRemoved, KeptRemovedBytes: p.KeptRemovedBytes,
		Warnings: nonNil(p.Warnings), Malformed: p.malformedLines(),
	}
}

// malformedLines are the plan's malformed links, one line each.
func (p *Plan) malformedLines() []string {
	out := make([]string, len(p.Malformed))
	for i, m := range p.Malformed {
		out[i] = m.String()
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
