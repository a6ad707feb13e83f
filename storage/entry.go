package storage

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
)

// Kind is what a directory entry is, as the storage reports it without
// following it.
type Kind uint8

const (
	KindUnknown Kind = iota // not known: an odd name listed by a driver that does not report kinds
	KindDir                 // a directory (on object storage: a key prefix)
	KindFile                // a regular file (an object)
	KindSymlink             // a symbolic link: never followed
	KindSpecial             // a named pipe, socket or device: never opened
)

func (k Kind) String() string {
	switch k {
	case KindDir:
		return "directory"
	case KindFile:
		return "file"
	case KindSymlink:
		return "symbolic link"
	case KindSpecial:
		return "special file"
	}
	return "unknown"
}

// Entry is one entry of a directory: its base name, as stored (it may
// hold any byte but "/"), and its kind.
type Entry struct {
	Name string
	Kind Kind
}

// Addressable reports whether a driver path can name the entry: its name
// is a valid path component (letters, digits, ".", "_", "-"; not "." or
// ".."). Entries that are not are reported, never acted on.
func (e Entry) Addressable() bool { return ValidComponent(e.Name) }

// ValidComponent reports whether name can be one component of a driver
// path: non-empty, of [A-Za-z0-9._-] only, and neither "." nor "..".
func ValidComponent(name string) bool {
	if name == "" || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// AnomalyError is an entry the registry never writes, found where
// regprune went: it names the entry (a driver path, or the part of an
// object key below the root) and says what it is. It wraps ErrAnomaly
// and Err (ErrSymlink, ErrSpecialFile or ErrOddName).
type AnomalyError struct {
	Path string
	Kind Kind
	Err  error
}

func (e *AnomalyError) Error() string {
	what := e.Err.Error()
	switch {
	case e.Err == ErrSpecialFile:
		what += " (named pipe, socket or device): the registry never writes one; regprune does not open it"
	case e.Err == ErrOddName:
		if e.Kind == KindDir || e.Kind == KindFile {
			what += " (" + e.Kind.String() + ")"
		}
		what += ": no path of the registry's layout can name it; regprune does not follow it"
	default:
		what += ": the registry never writes one; regprune does not follow it"
	}
	return quoteName(e.Path) + ": " + what + " (" + ErrAnomaly.Error() + ")"
}

func (e *AnomalyError) Unwrap() []error { return []error{e.Err, ErrAnomaly} }

// IsAnomaly reports whether err is (or wraps) an *AnomalyError, and
// returns it.
func IsAnomaly(err error) (*AnomalyError, bool) {
	var ae *AnomalyError
	ok := errors.As(err, &ae)
	return ae, ok
}

// Anomaly is the AnomalyError of entry p of kind k (KindSymlink,
// KindSpecial; any other kind is an odd name).
func Anomaly(p string, k Kind) *AnomalyError { return anomaly(p, k) }

// QuoteName prints a name found in the storage safely for a terminal:
// as is when it is printable ASCII without quotes or backslashes,
// otherwise Go-quoted, and clipped to 200 bytes.
func QuoteName(s string) string { return quoteName(s) }

// anomaly is the AnomalyError of entry p of kind k.
func anomaly(p string, k Kind) *AnomalyError {
	err := ErrOddName
	switch k {
	case KindSymlink:
		err = ErrSymlink
	case KindSpecial:
		err = ErrSpecialFile
	}
	return &AnomalyError{Path: p, Kind: k, Err: err}
}

// quoteName prints a name found in the storage safely: as is when it is
// printable ASCII without quotes or backslashes, otherwise Go-quoted, and
// clipped to 200 bytes.
func quoteName(s string) string {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] > ' ' && s[i] < 0x7f && s[i] != '"' && s[i] != '\\'
	}
	if len(s) > 200 {
		s, plain = s[:200]+"...", false
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}

// EntryLister is a driver that lists a directory with the kind of every
// entry, never following one: Open's filesystem and S3 drivers do. Test
// wrappers of the driver forward it.
type EntryLister interface {
	ListEntries(ctx context.Context, p string) ([]Entry, error)
}

// ListEntries lists directory p: every entry, sorted by name, with its
// kind, none followed. A missing directory is empty; p itself being a
// symbolic link is an *AnomalyError. On object storage a name may be both
// a file and a directory (two entries), and names a driver path cannot
// hold are listed too (see Entry.Addressable).
func (s *Storage) ListEntries(ctx context.Context, p string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var es []Entry
	var err error
	if el, ok := s.Driver.(EntryLister); ok {
		es, err = el.ListEntries(ctx, p)
	} else {
		es, err = s.listEntriesByStat(ctx, p)
	}
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, wrapDriver(p, err)
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].Name != es[j].Name {
			return es[i].Name < es[j].Name
		}
		return es[i].Kind < es[j].Kind
	})
	return es, nil
}

// listEntriesByStat lists p with a driver that does not report kinds:
// List, then Stat of each entry (an anomaly the driver reports keeps its
// kind).
func (s *Storage) listEntriesByStat(ctx context.Context, p string) ([]Entry, error) {
	children, err := s.Driver.List(ctx, p)
	if err != nil {
		return nil, err
	}
	es := make([]Entry, 0, len(children))
	for _, c := range children {
		e := Entry{Name: c[strings.LastIndexByte(c, '/')+1:], Kind: KindFile}
		if !e.Addressable() {
			es = append(es, Entry{Name: e.Name, Kind: KindUnknown})
			continue
		}
		fi, err := s.Driver.Stat(ctx, c)
		var ae *AnomalyError
		switch {
		case errors.As(err, &ae):
			e.Kind = ae.Kind
		case isNotFound(err):
			continue // gone meanwhile
		case err != nil:
			return nil, err
		case fi.IsDir():
			e.Kind = KindDir
		}
		es = append(es, e)
	}
	return es, nil
}
