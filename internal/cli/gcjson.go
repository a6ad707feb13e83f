package cli

import (
	"time"

	"github.com/regprune/regprune/gc"
)

// gcReport is gc's --json document (prune's "gc" member too): the
// summary, and for a dry run the plan, every object the real run would
// remove, in the order it removes them, as the text form lists them. Its
// shape is documented in docs/gc.md; members are only ever added.
type gcReport struct {
	gc.Summary
	Plan *gcPlanReport `json:"plan,omitempty"` // dry runs only
}

// gcPlanReport lists a plan's objects; every list is present, maybe empty.
type gcPlanReport struct {
	ReferrerTags []planTag      `json:"referrer_tags"` // referrer tags whose subject is gone
	Manifests    []planRevision `json:"manifests"`     // untagged manifest revisions
	Debris       []planDebris   `json:"debris"`        // leaf directories without their link
	LayerLinks   []planRevision `json:"layer_links"`
	Blobs        []planBlob     `json:"blobs"`
	Uploads      []planUpload   `json:"uploads"`
	Repositories []string       `json:"repositories"` // left empty, removed whole
}

type planTag struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"`
}

type planRevision struct {
	Repository string `json:"repository"`
	Digest     string `json:"digest"`
}

type planDebris struct {
	Repository string `json:"repository"`
	Kind       string `json:"kind"` // "revision", "layer link", "tag history"
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest"`
}

type planBlob struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	// Repositories whose removed manifests or layer links referenced it;
	// empty for a blob no repository referenced (an orphan).
	Repositories []string `json:"repositories"`
}

type planUpload struct {
	Repository string    `json:"repository"`
	ID         string    `json:"id"`
	Started    time.Time `json:"started"`
}

// gcDocument is the --json document of a gc run; plan only for a dry run.
func gcDocument(sum gc.Summary, plan *gc.Plan, dry bool) gcReport {
	r := gcReport{Summary: sum}
	if dry && plan != nil {
		r.Plan = planReport(plan)
	}
	return r
}

func planReport(p *gc.Plan) *gcPlanReport {
	c := p.Counts()
	r := &gcPlanReport{
		ReferrerTags: make([]planTag, 0, len(p.Tags)),
		Manifests:    make([]planRevision, 0, c.Manifests),
		Debris:       make([]planDebris, 0, len(p.Debris)),
		LayerLinks:   make([]planRevision, 0, c.LayerLinks),
		Blobs:        make([]planBlob, 0, c.Blobs),
		Uploads:      make([]planUpload, 0, len(p.Uploads)),
		Repositories: append(make([]string, 0, len(p.Repositories)), p.Repositories...),
	}
	for _, t := range p.Tags {
		r.ReferrerTags = append(r.ReferrerTags, planTag{t.Repository, t.Tag, t.Digest.String()})
	}
	for _, m := range p.Manifests() {
		r.Manifests = append(r.Manifests, planRevision{m.Repository, m.Digest.String()})
	}
	for _, d := range p.Debris {
		r.Debris = append(r.Debris, planDebris{d.Repository, string(d.Kind), d.Tag, d.Digest.String()})
	}
	for _, l := range p.LayerLinks() {
		r.LayerLinks = append(r.LayerLinks, planRevision{l.Repository, l.Digest.String()})
	}
	for _, b := range p.Blobs() {
		r.Blobs = append(r.Blobs, planBlob{b.Digest.String(), b.Size, append([]string{}, b.Repositories...)})
	}
	for _, u := range p.Uploads {
		r.Uploads = append(r.Uploads, planUpload{u.Repository, u.ID, u.Started.UTC()})
	}
	return r
}

// graceHint says, when the default grace period kept fresh garbage, how
// to reclaim it now: an operator trying regprune on a copy or a stopped
// registry otherwise wonders why nothing went.
func graceHint(e *env, flags gcFlagValues, sum gc.Summary) {
	if flags.GraceDefault && sum.KeptRecent > 0 {
		e.infof("regprune: %d kept: younger than --grace %s (on a stopped or read-only registry, --grace 0 reclaims them now)",
			sum.KeptRecent, defaultGrace)
	}
}
