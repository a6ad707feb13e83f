package gc

import (
	"cmp"
	"iter"
	"slices"

	"github.com/regprune/regprune/storage"
)

// The plan holds its removals of revisions, layer links and blobs as
// indexes: a repository is its position in the plan's sorted list of
// repositories, a digest its position in the blob index (blobStore), so
// that a removal costs 8 to 16 bytes rather than 48 to 64 (a digest, a
// repository name, a list of owners' names). The exported forms
// (ManifestRemoval, LayerLinkRemoval, BlobRemoval) are built one at a time
// as Manifests, LayerLinks and Blobs hand them out.

// blobRef is a digest: i >= 0 the blob index's digest i; -(k+1) the
// plan's extra digest k, one the blob store does not hold (a revision or
// layer link whose blob is missing).
type blobRef int32

// revRemoval is a ManifestRemoval.
type revRemoval struct {
	repo  int32
	ref   blobRef
	depth int32
}

// linkRemoval is a LayerLinkRemoval.
type linkRemoval struct {
	repo int32
	ref  blobRef
}

// blobRemoval is a BlobRemoval: the blob index's blob i.
type blobRemoval struct {
	i    int32
	size int64
}

// ref is d as a blobRef, adding it to the extra digests when the blob
// store has no d. Called with the planner's lock held.
func (p *Plan) ref(d storage.Digest) blobRef {
	if i := p.blobs.index(d); i >= 0 {
		return blobRef(i)
	}
	if k, ok := p.extraIndex[d]; ok {
		return blobRef(-k - 1)
	}
	if p.extraIndex == nil {
		p.extraIndex = map[storage.Digest]int32{}
	}
	k := int32(len(p.extra))
	p.extra = append(p.extra, d)
	p.extraIndex[d] = k
	return blobRef(-k - 1)
}

// digest is the digest r names.
func (p *Plan) digest(r blobRef) storage.Digest {
	if r >= 0 {
		return p.blobs.digests[r]
	}
	return p.extra[-r-1]
}

func (p *Plan) manifest(i int) ManifestRemoval {
	m := p.revs[i]
	return ManifestRemoval{Repository: p.repos[m.repo], Digest: p.digest(m.ref), Depth: int(m.depth)}
}

func (p *Plan) layerLink(i int) LayerLinkRemoval {
	l := p.links[i]
	return LayerLinkRemoval{Repository: p.repos[l.repo], Digest: p.digest(l.ref)}
}

func (p *Plan) blob(i int) BlobRemoval {
	b := p.blobRemovals[i]
	return BlobRemoval{Digest: p.blobs.digests[b.i], Size: b.size, Repositories: p.ownerNames(int(b.i))}
}

// Manifests lists the untagged revisions the plan removes, sorted by
// repository and digest.
func (p *Plan) Manifests() iter.Seq2[int, ManifestRemoval] { return seq(len(p.revs), p.manifest) }

// LayerLinks lists the layer links the plan removes, sorted by
// repository and digest.
func (p *Plan) LayerLinks() iter.Seq2[int, LayerLinkRemoval] { return seq(len(p.links), p.layerLink) }

// Blobs lists the blobs the plan removes, sorted by digest.
func (p *Plan) Blobs() iter.Seq2[int, BlobRemoval] { return seq(len(p.blobRemovals), p.blob) }

func seq[T any](n int, at func(int) T) iter.Seq2[int, T] {
	return func(yield func(int, T) bool) {
		for i := range n {
			if !yield(i, at(i)) {
				return
			}
		}
	}
}

// ownerNames is the sorted names of the repositories blob i is
// attributed to (see blobStore.attribute); one repository's list is
// shared.
func (p *Plan) ownerNames(i int) []string {
	ks := p.blobs.ownersAt(i)
	switch len(ks) {
	case 0:
		return nil
	case 1:
		return p.single[ks[0]]
	}
	names := make([]string, len(ks))
	for j, k := range ks {
		names[j] = p.repos[k]
	}
	slices.Sort(names)
	return names
}

// sortRemovals orders the revisions and layer links by repository (the
// repositories are sorted, so their indexes order as their names) and
// digest; blob removals are made in the blob index's order already.
func (p *Plan) sortRemovals() {
	slices.SortFunc(p.revs, func(a, b revRemoval) int {
		return cmp.Or(cmp.Compare(a.repo, b.repo), p.compareRefs(a.ref, b.ref))
	})
	slices.SortFunc(p.links, func(a, b linkRemoval) int {
		return cmp.Or(cmp.Compare(a.repo, b.repo), p.compareRefs(a.ref, b.ref))
	})
}

// compareRefs orders refs as their digests; the blob index is sorted.
func (p *Plan) compareRefs(a, b blobRef) int {
	if a >= 0 && b >= 0 {
		return cmp.Compare(a, b)
	}
	return p.digest(a).Compare(p.digest(b))
}

// linkIndex is the position of repo's layer link to d among the plan's
// layer link removals, -1 when the plan does not remove it.
func (p *Plan) linkIndex(repo string, d storage.Digest) int {
	k, ok := slices.BinarySearch(p.repos, repo)
	if !ok {
		return -1
	}
	i, ok := slices.BinarySearchFunc(p.links, d, func(l linkRemoval, d storage.Digest) int {
		return cmp.Or(cmp.Compare(l.repo, int32(k)), p.digest(l.ref).Compare(d))
	})
	if !ok {
		return -1
	}
	return i
}
