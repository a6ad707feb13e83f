package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Links is what a directory of link leaves holds (a repository's
// revisions or layer links, a tag's history): the leaves named by a
// digest, sorted apart by their link file. The registry reads the link,
// never the directory name: a leaf counts only when its link is there.
type Links struct {
	// Linked are the leaves whose link file exists: a regular file of
	// LinkSize bytes, the size of "sha256:<hex>" (its content is not
	// read: whoever reads it, check or the registry, compares it with
	// the directory's digest).
	Linked []Digest
	// Debris are leaf directories without a link file: what the
	// registry's delete by digest leaves behind (it removes the link
	// only). Nothing reads them; gc removes them.
	Debris []Digest
	// Malformed are leaves whose link exists but is no link: a file of
	// another size, a directory, a symbolic link or special file, or a
	// file where the leaf directory should be. What they might reach is
	// unknown: callers keep them, report them and end non-zero.
	Malformed []BadLink
}

// BadLink is a malformed leaf: its directory's digest, and an error naming
// the path and wrapping ErrBadLink, or ErrAnomaly for a symbolic link or
// special file.
type BadLink struct {
	Digest Digest
	Err    error
}

// All is every digest the listing names, whatever its link: what a
// caller must not lose sight of.
func (l *Links) All() []Digest {
	out := make([]Digest, 0, len(l.Linked)+len(l.Debris)+len(l.Malformed))
	out = append(append(out, l.Linked...), l.Debris...)
	for _, b := range l.Malformed {
		out = append(out, b.Digest)
	}
	slices.SortFunc(out, Digest.Compare)
	return out
}

// Present is every digest whose link is there, well-formed or not: what
// a re-check must keep.
func (l *Links) Present() []Digest {
	out := append(make([]Digest, 0, len(l.Linked)+len(l.Malformed)), l.Linked...)
	for _, b := range l.Malformed {
		out = append(out, b.Digest)
	}
	return out
}

// sort orders every list by digest.
func (l *Links) sort() {
	slices.SortFunc(l.Linked, Digest.Compare)
	slices.SortFunc(l.Debris, Digest.Compare)
	slices.SortFunc(l.Malformed, func(a, b BadLink) int { return a.Digest.Compare(b.Digest) })
}

// linkLister is a driver that lists a directory of link leaves itself
// (the filesystem driver: one directory read, then each leaf's link
// looked at relative to the open directory).
type linkLister interface {
	listLinks(ctx context.Context, dir string) (Links, error)
}

// ListLinks lists directory dir of link leaves (RevisionsPath,
// LayerLinksPath, TagIndexPath) and looks at each leaf's link: on object
// storage within the one listing of dir's keys, on a filesystem with one
// directory read of dir and one stat of each link relative to it. A
// missing dir is empty. An entry whose name is not a digest is an error
// naming it (wrapping ErrBadDigest): the registry never writes one.
func (s *Storage) ListLinks(ctx context.Context, dir string) (Links, error) {
	if err := ctx.Err(); err != nil {
		return Links{}, err
	}
	var l Links
	var err error
	switch ll, ok := s.Driver.(linkLister); {
	case s.objects != nil:
		l, err = s.objects.listLinks(ctx, dir)
	case ok:
		l, err = ll.listLinks(ctx, dir)
		if isNotFound(err) {
			return Links{}, nil
		}
		if err != nil {
			err = wrapDriver(dir, err)
		}
	default:
		l, err = s.listLinksByStat(ctx, dir)
	}
	if err != nil {
		return Links{}, err
	}
	l.sort()
	return l, nil
}

// listLinksByStat is ListLinks for any driver: ListEntries of dir, then
// a Stat of each leaf's link.
func (s *Storage) listLinksByStat(ctx context.Context, dir string) (Links, error) {
	es, err := s.ListEntries(ctx, dir)
	if err != nil {
		return Links{}, err
	}
	var l Links
	for _, e := range es {
		d, err := leafDigest(dir, e.Name)
		if err != nil {
			return Links{}, err
		}
		p := dir + "/" + e.Name + "/" + LinkFile
		switch e.Kind {
		case KindDir, KindUnknown:
		case KindSymlink, KindSpecial:
			l.Malformed = append(l.Malformed, BadLink{d, anomaly(dir+"/"+e.Name, e.Kind)})
			continue
		default:
			l.Malformed = append(l.Malformed, BadLink{d, fmt.Errorf("%s: %w: a file where a directory should be", dir+"/"+e.Name, ErrBadLink)})
			continue
		}
		fi, err := s.Stat(ctx, p)
		var ae *AnomalyError
		switch {
		case errors.Is(err, ErrNotFound):
			l.Debris = append(l.Debris, d)
		case errors.As(err, &ae):
			l.Malformed = append(l.Malformed, BadLink{d, err})
		case err != nil:
			return Links{}, err
		default:
			l.add(d, p, fi.IsDir(), fi.Size())
		}
	}
	return l, nil
}

// add sorts leaf d, whose link p exists, into Linked or Malformed.
func (l *Links) add(d Digest, p string, dir bool, size int64) {
	switch {
	case dir:
		l.Malformed = append(l.Malformed, BadLink{d, fmt.Errorf("%s: %w: a directory", p, ErrBadLink)})
	case size != int64(LinkSize):
		l.Malformed = append(l.Malformed, BadLink{d, fmt.Errorf("%s: %w: %d bytes, a link has %d", p, ErrBadLink, size, LinkSize)})
	default:
		l.Linked = append(l.Linked, d)
	}
}

// leafDigest is the digest leaf directory name of dir is named by.
func leafDigest(dir, name string) (Digest, error) {
	d, err := ParseHex(name)
	if err != nil {
		return Digest{}, fmt.Errorf("%s/%s: %w", dir, name, err)
	}
	return d, nil
}
