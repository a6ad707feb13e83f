package storage

import (
	"errors"
	"time"
)

// Tag is one tag of one repository as the storage holds it: where its
// current link points and when it was written. scan reads tags; retention
// judges them.
type Tag struct {
	Repository string
	Name       string
	Digest     Digest    // zero when the current link is missing or bad
	Pushed     time.Time // modification time of current/link
	// LinkErr says why Digest is zero: the current link is missing
	// (wrapping ErrNotFound), or broken: malformed (ErrBadLink), a
	// symbolic link or special file on its path (*AnomalyError), or
	// unreadable for another reason.
	LinkErr error
}

// Broken reports whether the tag's current link exists but cannot be
// read or interpreted: the tag may point at something, nobody knows
// what. A missing link (nothing a pull could reach) is not broken.
func (t Tag) Broken() bool { return t.LinkErr != nil && !errors.Is(t.LinkErr, ErrNotFound) }

// Ref is "repository:tag".
func (t Tag) Ref() string { return t.Repository + ":" + t.Name }
