package gc

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/regprune/regprune/storage"
)

// Kinds of refusal. The values are stable: they are printed and emitted
// in --json output.
const (
	// RefuseBlobStore: the blob store is empty or missing while
	// repositories hold revisions or layer links (its volume not mounted,
	// a restore half done), or it cannot be listed.
	RefuseBlobStore = "blob-store-empty"
	// RefuseTagLink: a tag's current link exists but cannot be read or
	// interpreted: the tag may point at anything.
	RefuseTagLink = "tag-link-broken"
	// RefuseManifest: a manifest gc must follow (reached from a tag, at
	// any depth, or a revision kept as a root) is missing from the blob
	// store or cannot be read or interpreted: what it reaches is unknown.
	RefuseManifest = "manifest-unreadable"
	// RefuseAnomaly: a symbolic link or special file where the registry
	// keeps data it serves (a repository, its _manifests, _layers,
	// revisions or tags, a blob directory): the registry follows it,
	// regprune never does, so what it holds is unknown.
	RefuseAnomaly = "anomaly"
)

// Refusal is one reason gc refuses to sweep: what is wrong, where, and
// how to fix it.
type Refusal struct {
	Kind       string `json:"kind"`
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
	Path       string `json:"path,omitempty"` // driver path of the culprit, when it is one entry
	Detail     string `json:"detail"`
	Fix        string `json:"fix"`
	// Err is the error behind it, when there is one (errors.Is on the
	// RefusalError sees it).
	Err error `json:"-"`
}

// String names the culprit and says what is wrong with it.
func (r Refusal) String() string {
	switch {
	case r.Tag != "":
		return "tag " + r.Repository + ":" + r.Tag + ": " + r.Detail
	case r.Repository != "":
		return "repository " + r.Repository + ": " + r.Detail
	case r.Kind == RefuseBlobStore:
		return "blob store " + storage.BlobsRoot() + ": " + r.Detail
	}
	return r.Detail
}

// RefusalError is NewPlan's error when gc cannot know what is live: it
// lists every reason found. It wraps storage.ErrRefused. Nothing was
// removed; a dry run shows the same refusal.
//
// A refusal stops the whole sweep, not only the repository concerned:
// blobs are shared between repositories, and what an unreadable tag or
// manifest reaches may be any blob, so sweeping the others could remove
// it. Within a repository, removing untagged revisions and layer links
// would be safe for the others, but a run that does half of its job
// quietly is worse than one that stops and says why.
type RefusalError struct {
	Refusals []Refusal // sorted: blob store, anomalies, then by repository, tag, path
}

// maxShown bounds the refusals Error lists.
const maxShown = 20

func (e *RefusalError) Error() string {
	var b strings.Builder
	what := "this remains"
	if n := len(e.Refusals); n > 1 {
		what = fmt.Sprintf("these %d remain", n)
	}
	fmt.Fprintf(&b, "refused to sweep, nothing was removed: what is live cannot be known while %s "+
		"(regprune check lists every problem):", what)
	for i, r := range e.Refusals {
		if i == maxShown {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Refusals)-maxShown)
			break
		}
		fmt.Fprintf(&b, "\n  %s\n    fix: %s", r, r.Fix)
	}
	return b.String()
}

// Unwrap is storage.ErrRefused and the error behind each refusal.
func (e *RefusalError) Unwrap() []error {
	errs := []error{storage.ErrRefused}
	for _, r := range e.Refusals {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errs
}

// refuse records a reason to refuse the sweep.
func (pl *planner) refuse(r Refusal) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.refusals = append(pl.refusals, r)
}

// refusal is the error NewPlan returns when something was refused, else
// nil.
func (pl *planner) refusal() error {
	if len(pl.refusals) == 0 {
		return nil
	}
	rs := slices.Clone(pl.refusals)
	rank := map[string]int{RefuseBlobStore: 0, RefuseAnomaly: 1}
	slices.SortFunc(rs, func(a, b Refusal) int {
		ra, ok := rank[a.Kind]
		if !ok {
			ra = 2
		}
		rb, ok := rank[b.Kind]
		if !ok {
			rb = 2
		}
		return cmp.Or(cmp.Compare(ra, rb), strings.Compare(a.Repository, b.Repository),
			strings.Compare(a.Tag, b.Tag), strings.Compare(a.Path, b.Path), strings.Compare(a.Detail, b.Detail))
	})
	return &RefusalError{Refusals: slices.CompactFunc(rs, func(a, b Refusal) bool { return a.String() == b.String() && a.Kind == b.Kind })}
}

// refuseTag refuses because of tag t's broken current link.
func (pl *planner) refuseTag(t storage.Tag) {
	fix := "repair the link, or remove the tag: regprune tag rm " + t.Ref()
	if storage.ValidRepository(t.Repository) != nil || storage.ValidTag(t.Name) != nil {
		fix = "repair the link, or move " + storage.QuoteName(storage.TagPath(t.Repository, t.Name)) + " out of the storage root"
	}
	pl.refuse(Refusal{Kind: RefuseTagLink, Repository: t.Repository, Tag: t.Name,
		Path: storage.TagCurrentLinkPath(t.Repository, t.Name), Detail: "current link: " + t.LinkErr.Error(), Fix: fix,
		Err: t.LinkErr})
}

// refuseManifest refuses because manifest d, which gc must follow (from
// tag, or an untagged root when tag is ""), cannot be read.
func (pl *planner) refuseManifest(repo, tag string, d storage.Digest, err error) {
	r := Refusal{Kind: RefuseManifest, Repository: repo, Tag: tag, Err: err}
	if tag != "" {
		r.Detail = fmt.Sprintf("reaches manifest %s, which cannot be read: %v", d, err)
		r.Fix = "restore the blob store (every blob this tag reaches), or remove the tag: regprune tag rm " + repo + ":" + tag
	} else {
		r.Detail = fmt.Sprintf("revision %s: its manifest cannot be read: %v", d, err)
		r.Fix = "restore the blob, or run with --delete-untagged (an untagged revision that cannot be read is then removed)"
	}
	pl.refuse(r)
}

// refuseAnomaly refuses because of a symbolic link or special file where
// registry data may be, met in repository repo ("" outside one).
func (pl *planner) refuseAnomaly(repo string, ae *storage.AnomalyError) {
	pl.refuse(Refusal{Kind: RefuseAnomaly, Repository: repo, Path: ae.Path, Detail: ae.Error(), Err: ae,
		Fix: "regprune never follows nor removes one: replace it with what it points to, or remove it, by hand"})
}

// Refusals returns the reasons err refuses a sweep for, when it is (or
// wraps) a *RefusalError; nil otherwise.
func Refusals(err error) []Refusal {
	var re *RefusalError
	if errors.As(err, &re) {
		return re.Refusals
	}
	return nil
}
