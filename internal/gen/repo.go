package gen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// repoGen writes one repository: every push of every tag, in push order.
type repoGen struct {
	c    Config
	w    *writer
	name string
	base []layer // the shared pool
	rng  *rand.Rand

	baseLayer *layer // this repository's base layer, from the pool

	layerLinks map[digest]bool
	revisions  map[digest]bool
	tags       []string
	removed    []string
	images     int
	history    int // tag index links
	indexes    int
	live       *tally
}

// pushed is what one push wrote: the tagged manifest and everything it
// needs in the repository.
type pushed struct {
	top        digest
	revisions  []blob // top manifest and index children
	layerLinks []blob // configs and layers
}

func tagName(j int) string { return fmt.Sprintf("v1.%d.%d", j/10, j%10) }

func (rg *repoGen) run() error {
	rg.layerLinks, rg.revisions = map[digest]bool{}, map[digest]bool{}
	if len(rg.base) > 0 {
		rg.baseLayer = &rg.base[rg.rng.IntN(len(rg.base))]
	}
	c := rg.c
	for j := range c.TagsPerRepository {
		tag := tagName(j)
		isIndex := rg.rng.Float64() < c.IndexShare
		oci := rg.rng.Float64() < c.OCIShare
		pushes := 1
		if rg.rng.Float64() < c.HistoryShare {
			pushes += c.HistoryDepth
		}
		removed := rg.rng.Float64() < c.UntaggedShare
		recent := rg.rng.Float64() < c.RecentShare
		for g := range pushes {
			when := c.Now.Add(-c.Age - time.Duration(c.TagsPerRepository-j)*time.Hour -
				time.Duration(pushes-1-g)*24*time.Hour)
			last := g == pushes-1
			if recent && last {
				when = c.Now.Add(-time.Minute)
			}
			label := fmt.Sprintf("%s:%s#%d", rg.name, tag, g)
			p, err := rg.push(label, isIndex, oci, when)
			if err != nil {
				return fmt.Errorf("tag %s: %w", tag, err)
			}
			if removed {
				continue // the tag's directory was deleted afterwards, history and all
			}
			if err := rg.tag(tag, p.top, last, when); err != nil {
				return fmt.Errorf("tag %s: %w", tag, err)
			}
			if last {
				rg.live.add(p)
			}
		}
		if removed {
			rg.removed = append(rg.removed, tag)
		} else {
			rg.tags = append(rg.tags, tag)
		}
	}
	return nil
}

// tag writes the history entry and, for the latest push, the current link,
// as the registry's tag store does (index entry first).
func (rg *repoGen) tag(tag string, d digest, current bool, when time.Time) error {
	root := rg.w.root
	if err := rg.w.link(tagIndexLinkPath(root, rg.name, tag, d), d, when); err != nil {
		return err
	}
	rg.history++
	if !current {
		return nil
	}
	return rg.w.link(tagCurrentPath(root, rg.name, tag), d, when)
}

// push writes an image, or an index of images (children by digest first).
func (rg *repoGen) push(label string, isIndex, oci bool, when time.Time) (pushed, error) {
	if !isIndex {
		img, err := rg.image(label, platforms[0], oci)
		if err != nil {
			return pushed{}, err
		}
		p := pushed{top: img.manifest.digest}
		return p, rg.writeImage(&p, img, when)
	}
	var p pushed
	children := make([]image, rg.c.Platforms)
	for k := range children {
		img, err := rg.image(fmt.Sprintf("%s/%d", label, k), platforms[k], oci)
		if err != nil {
			return pushed{}, err
		}
		if err := rg.writeImage(&p, img, when); err != nil {
			return pushed{}, err
		}
		children[k] = img
	}
	ix, err := buildIndex(children, oci)
	if err != nil {
		return pushed{}, fmt.Errorf("index %s: %w", label, err)
	}
	p.top = ix.digest
	rg.indexes++
	return p, rg.writeManifest(&p, ix, when)
}

// image draws an image's layers: the repository's base layer (when there
// is a pool), then fresh random layers. One base per repository, as images
// of one repository usually share their base: then a repository with a
// live tag keeps its base layer link whatever else it untags, and the
// outcome of a collector does not depend on the order it visits
// repositories in (upstream's single mark set keeps a layer link another
// repository marked first).
func (rg *repoGen) image(label string, pf platform, oci bool) (image, error) {
	layers := make([]layer, 0, rg.c.LayersPerImage)
	if rg.baseLayer != nil {
		layers = append(layers, *rg.baseLayer)
	}
	for len(layers) < rg.c.LayersPerImage {
		l, err := newLayer(rg.rng, rg.c.LayerSize)
		if err != nil {
			return image{}, err
		}
		layers = append(layers, l)
	}
	rg.images++
	return buildImage(layers, pf, oci, label)
}

// writeImage pushes layers, config, then the manifest, as a client does.
func (rg *repoGen) writeImage(p *pushed, img image, when time.Time) error {
	for _, l := range img.layers {
		if err := rg.writeLayer(p, l.blob, when); err != nil {
			return err
		}
	}
	if err := rg.writeLayer(p, img.config, when); err != nil {
		return err
	}
	return rg.writeManifest(p, img.manifest, when)
}

// writeLayer writes blob data and the repository's layer link, unless the
// repository has it already (a client skips blobs the repository has).
func (rg *repoGen) writeLayer(p *pushed, b blob, when time.Time) error {
	p.layerLinks = append(p.layerLinks, b)
	return rg.writeLinked(rg.layerLinks, layerLinkPath(rg.w.root, rg.name, b.digest), b, when)
}

// writeManifest writes the manifest blob and its revision link.
func (rg *repoGen) writeManifest(p *pushed, b blob, when time.Time) error {
	p.revisions = append(p.revisions, b)
	return rg.writeLinked(rg.revisions, revisionLinkPath(rg.w.root, rg.name, b.digest), b, when)
}

// writeLinked writes blob data and the link at p once per repository.
func (rg *repoGen) writeLinked(have map[digest]bool, p string, b blob, when time.Time) error {
	if have[b.digest] {
		return nil
	}
	have[b.digest] = true
	if err := rg.w.blob(b.digest, b.data, when); err != nil {
		return err
	}
	return rg.w.link(p, b.digest, when)
}

// addTo merges the repository's counts into res and its live set into
// live (the caller serialises calls).
func (rg *repoGen) addTo(res *Result, live *tally) {
	if len(rg.tags) > 0 {
		res.Tags[rg.name] = rg.tags
	}
	if len(rg.removed) > 0 {
		res.RemovedTags[rg.name] = rg.removed
	}
	res.Images += rg.images
	res.Indexes += rg.indexes
	res.Revisions += len(rg.revisions)
	res.HistoryLinks += rg.history
	res.LayerLinks += len(rg.layerLinks)
	res.LiveRevisions += len(rg.live.revisions)
	res.LiveLayerLinks += len(rg.live.layerLinks)
	live.merge(rg.live)
}

// tally is what live tags reach: per repository revisions and layer links,
// and blobs (with sizes) across repositories once merged.
type tally struct {
	revisions  map[digest]bool
	layerLinks map[digest]bool
	blobs      map[digest]int64
}

func newTally() *tally {
	return &tally{revisions: map[digest]bool{}, layerLinks: map[digest]bool{}, blobs: map[digest]int64{}}
}

func (t *tally) add(p pushed) {
	for _, b := range p.revisions {
		t.revisions[b.digest] = true
		t.blobs[b.digest] = int64(len(b.data))
	}
	for _, b := range p.layerLinks {
		t.layerLinks[b.digest] = true
		t.blobs[b.digest] = int64(len(b.data))
	}
}

func (t *tally) merge(o *tally) {
	for d, s := range o.blobs {
		t.blobs[d] = s
	}
}

func (t *tally) blobCount() int { return len(t.blobs) }

func (t *tally) bytes() int64 {
	var n int64
	for _, s := range t.blobs {
		n += s
	}
	return n
}
