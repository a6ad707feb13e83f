package storage

import "time"

// Tag is one tag of one repository as the storage holds it: where its
// current link points and when it was written. scan reads tags; retention
// judges them.
type Tag struct {
	Repository string
	Name       string
	Digest     Digest    // zero when the current link is missing or bad
	Pushed     time.Time // modification time of current/link
	LinkErr    error     // why Digest is zero, wrapping ErrNotFound or ErrBadLink
}

// Ref is "repository:tag".
func (t Tag) Ref() string { return t.Repository + ":" + t.Name }
