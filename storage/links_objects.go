package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// leafKeys is what a listing found beneath one leaf directory: its link
// object (size), and whether anything else is there.
type leafKeys struct {
	link     bool
	linkSize int64
	deeper   bool // keys beneath "link/": the link is a directory
	odd      string
}

// note records key rest ("link", "link/x", "other") of a leaf.
func (k *leafKeys) note(rest string, size int64) {
	switch {
	case rest == LinkFile:
		k.link, k.linkSize = true, size
	case strings.HasPrefix(rest, LinkFile+"/"):
		k.deeper = true
	case rest == "" && k.odd == "":
		k.odd = "an object where the directory should be"
	}
}

// sortInto adds leaf d (driver path p) to out by what its keys say. On
// object storage a directory exists only through its keys: a leaf without
// a link key holds others (a dir whose link the registry deleted leaves
// nothing at all).
func (k *leafKeys) sortInto(d Digest, p string, out *Links) {
	switch {
	case k.odd != "":
		out.Malformed = append(out.Malformed, BadLink{d, fmt.Errorf("%s: %w: %s", p, ErrBadLink, k.odd)})
	case k.link || k.deeper:
		out.add(d, p+"/"+LinkFile, k.deeper, k.linkSize)
	default:
		out.Debris = append(out.Debris, d)
	}
}

// leafListing gathers the keys of a listing by leaf name, in order.
type leafListing struct {
	names []string
	keys  map[string]*leafKeys
}

func (g *leafListing) note(name, rest string, size int64) {
	if g.keys == nil {
		g.keys = map[string]*leafKeys{}
	}
	k := g.keys[name]
	if k == nil {
		k = &leafKeys{}
		g.keys[name] = k
		g.names = append(g.names, name)
	}
	k.note(rest, size)
}

// links sorts the leaves of directory dir into a Links.
func (g *leafListing) links(dir string) (Links, error) {
	var out Links
	for _, n := range g.names {
		d, err := leafDigest(dir, n)
		if err != nil {
			return Links{}, err
		}
		g.keys[n].sortInto(d, dir+"/"+n, &out)
	}
	return out, nil
}

// listLinks is ListLinks on object storage: one listing of dir's keys
// (<hex>/link, the same number of keys as a listing of dir's level).
// Keys no driver path can hold are left out, as StatLeaves does.
func (o *objects) listLinks(ctx context.Context, dir string) (Links, error) {
	var g leafListing
	err := o.listTree(ctx, dir, func(p string, size int64, _ time.Time) {
		if !safeDriverPath(p) {
			return
		}
		name, rest, _ := strings.Cut(strings.TrimPrefix(p, dir+"/"), "/")
		g.note(name, rest, size)
	})
	if err != nil {
		return Links{}, err
	}
	return g.links(dir)
}
