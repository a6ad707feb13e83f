package cli

import (
	"context"
	"time"

	"github.com/regprune/regprune/pulls"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
)

// addPulls sets each row's last pull from the history: by its name, by
// its manifest's digest, or by the digest of a manifest its index reaches
// (read only for repositories with pulls by digest). A row whose index
// cannot be read is judged by what could be read; its Error says why.
func addPulls(ctx context.Context, st *storage.Storage, rows []tagRow, h *pulls.History, jobs int) error {
	mans := scan.NewManifests(st)
	return storage.Each(ctx, len(rows), jobs, func(ctx context.Context, i int) error {
		r := &rows[i]
		t := pulls.Tag{Name: r.Tag}
		if d, err := storage.ParseDigest(r.Digest); err == nil {
			t.Digest = d
			if h.HasDigestPulls(r.Repository) {
				t.Children, _ = scan.IndexChildren(ctx, mans, d)
			}
		}
		last := h.LastPull(r.Repository, t)
		r.Pulled, r.PulledVia = last.Time, last.String()
		return ctx.Err()
	})
}

// pulledText is the PULLED column: "3d ago", "3d ago by digest", "never".
func pulledText(r tagRow, now time.Time) string {
	if r.Pulled.IsZero() {
		return dashIfEmpty(r.PulledVia)
	}
	s := humanAge(now.Sub(r.Pulled)) + " ago"
	if r.PulledVia != "by tag" {
		s += " " + r.PulledVia
	}
	return s
}
