package scan

import (
	"context"
	"fmt"

	"github.com/regprune/regprune/storage"
)

// walk checks manifest d as the registry serves it from this repository
// (revision link, then blob), then what it references. parent is the index
// through which d was reached, nil for a root.
func (r *repoCheck) walk(ctx context.Context, d storage.Digest, tag string, parent *storage.Digest) error {
	if !r.first(r.seen, d) {
		return nil
	}
	follow, err := r.checkRevision(ctx, d, tag, parent)
	if err != nil || !follow {
		return err
	}
	m, size, err := r.c.manifest(ctx, d)
	if err != nil {
		return r.manifestProblem(d, tag, parent, err)
	}
	r.note(d, tag, size, true)
	for _, child := range m.Children {
		if err := r.walk(ctx, child.Digest, tag, &d); err != nil {
			return err
		}
	}
	for _, b := range m.Blobs {
		if err := r.checkBlob(ctx, b, tag, d); err != nil {
			return err
		}
	}
	return nil
}

// checkRevision checks manifest d's revision link, and says whether walk
// goes on to d's manifest: not for a child of an index without its link
// (deleted by digest through the registry's API, which leaves the index:
// a warning, ChildRevisionMissing; gc and scan do not follow it either).
func (r *repoCheck) checkRevision(ctx context.Context, d storage.Digest, tag string, parent *storage.Digest) (bool, error) {
	p := storage.RevisionLinkPath(r.repo, d)
	link, err := r.revLinks.get(d, func() (storage.Digest, error) { return r.c.readLink(ctx, p) })
	gone, fatal := missing(err)
	switch {
	case fatal != nil:
		return false, fatal
	case gone && parent != nil:
		r.add(Problem{Tag: tag, Digest: d, Kind: ChildRevisionMissing,
			Detail: fmt.Sprintf("child of index %s is not in this repository (deleted by digest?): the index pulls, this child does not (404)", parent)})
		return false, nil
	case gone:
		r.add(Problem{Tag: tag, Digest: d, Kind: RevisionMissing, Detail: "manifest has no revision link in this repository (" + p + ")"})
	case err != nil:
		r.add(Problem{Tag: tag, Digest: d, Kind: RevisionLinkBad, Detail: err.Error()})
	case link != d:
		r.add(Problem{Tag: tag, Digest: d, Kind: RevisionLinkBad, Detail: fmt.Sprintf("%s holds %s", p, link)})
	}
	return true, nil
}

func (r *repoCheck) manifestProblem(d storage.Digest, tag string, parent *storage.Digest, err error) error {
	gone, fatal := missing(err)
	switch {
	case fatal != nil:
		return fatal
	case gone && parent != nil:
		r.add(Problem{Tag: tag, Digest: d, Kind: ChildManifestMissing,
			Detail: fmt.Sprintf("child of index %s has no blob data (%s)", parent, storage.BlobDataPath(d))})
	case gone:
		r.add(Problem{Tag: tag, Digest: d, Kind: ManifestMissing, Detail: "manifest has no blob data (" + storage.BlobDataPath(d) + ")"})
	default:
		r.add(Problem{Tag: tag, Digest: d, Kind: ManifestBad, Detail: err.Error()})
	}
	return nil
}

// checkBlob checks a config or layer of manifest m: the repository's
// _layers link, the blob data, and its size against the descriptor's.
func (r *repoCheck) checkBlob(ctx context.Context, b Ref, tag string, m storage.Digest) error {
	if !r.first(r.seenBlob, b.Digest) {
		return nil
	}
	p := storage.LayerLinkPath(r.repo, b.Digest)
	link, err := r.layerLinks.get(b.Digest, func() (storage.Digest, error) { return r.c.readLink(ctx, p) })
	gone, fatal := missing(err)
	switch {
	case fatal != nil:
		return fatal
	case gone:
		r.add(Problem{Tag: tag, Digest: b.Digest, Kind: LayerLinkMissing,
			Detail: fmt.Sprintf("config or layer of manifest %s has no _layers link in this repository: pulling it fails with BLOB_UNKNOWN", m)})
	case err != nil:
		r.add(Problem{Tag: tag, Digest: b.Digest, Kind: LayerLinkBad, Detail: err.Error()})
	case link != b.Digest:
		r.add(Problem{Tag: tag, Digest: b.Digest, Kind: LayerLinkBad, Detail: fmt.Sprintf("%s holds %s", p, link)})
	}
	size, err := r.c.blobSize(ctx, b.Digest)
	gone, fatal = missing(err)
	switch {
	case fatal != nil:
		return fatal
	case gone:
		r.add(Problem{Tag: tag, Digest: b.Digest, Kind: BlobMissing,
			Detail: fmt.Sprintf("config or layer of manifest %s has no blob data (%s)", m, storage.BlobDataPath(b.Digest))})
	case err != nil:
		r.add(Problem{Tag: tag, Digest: b.Digest, Kind: BlobMissing, Detail: "blob data unreadable: " + err.Error()})
	case b.Size >= 0 && size != b.Size:
		r.add(Problem{Tag: tag, Digest: b.Digest, Kind: BlobSizeMismatch,
			Detail: fmt.Sprintf("blob data holds %d bytes, manifest %s says %d", size, m, b.Size)})
	}
	r.note(b.Digest, tag, size, err == nil)
	return nil
}

// note records a reached blob (manifest, config or layer) in the ordered
// pass: the first repository (by name) and tag reaching it are kept, to
// name it if its digest turns out wrong.
func (r *repoCheck) note(d storage.Digest, tag string, size int64, present bool) {
	if !r.report {
		return
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	ref := r.c.refs[d]
	if ref == nil {
		r.c.refs[d] = &blobRef{repo: r.repo, tag: tag, size: size, present: present, repos: 1}
		return
	}
	ref.repos++
	if r.repo < ref.repo {
		ref.repo, ref.tag = r.repo, tag
	}
}
