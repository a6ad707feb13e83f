package storage

import "errors"

// Sentinel errors of regprune. Every error a command reports wraps one of
// these (with %w), so callers and tests test them with errors.Is and the
// message still names the path, repository, tag or digest concerned.
var (
	// ErrNotRegistry: the storage root has no docker/registry/v2/repositories.
	ErrNotRegistry = errors.New("not a registry storage")
	// ErrConfig: the registry configuration cannot be read or used.
	ErrConfig = errors.New("bad registry configuration")
	// ErrLocked: another process holds the regprune lock.
	ErrLocked = errors.New("storage is locked by another process")
	// ErrNotFound: a path the operation needs does not exist.
	ErrNotFound = errors.New("not found")
	// ErrBadDigest: a string is not a sha256 digest in canonical form.
	ErrBadDigest = errors.New("bad digest")
	// ErrBadLink: a link file does not hold exactly "sha256:<hex>".
	ErrBadLink = errors.New("bad link")
	// ErrLinkIncomplete: a bad link holding the beginning of a link only
	// (empty, or "sha256:" and fewer hex digits): what a reader sees while
	// the registry's filesystem driver, which writes a link in place, is
	// writing it. Always with ErrBadLink.
	ErrLinkIncomplete = errors.New("link incomplete")
	// ErrBadName: a repository or tag name outside distribution's grammar,
	// or one that would leave its directory (.., absolute, _ components).
	ErrBadName = errors.New("bad name")
	// ErrBadManifest: a manifest that cannot be read or interpreted.
	ErrBadManifest = errors.New("bad manifest")
	// ErrNoMatch: a reference or glob that matches nothing.
	ErrNoMatch = errors.New("no match")
	// ErrTagMoved: a tag no longer points at the digest a REF names
	// (repository:tag@digest); it is left in place.
	ErrTagMoved = errors.New("tag moved")
	// ErrUsage: bad command-line input (exit status 2).
	ErrUsage = errors.New("usage")
	// ErrInterrupted: the run was stopped by a signal between steps.
	ErrInterrupted = errors.New("interrupted")
	// ErrBadDuration: a duration that is neither a Go duration nor a whole
	// number of days or weeks.
	ErrBadDuration = errors.New("bad duration")
	// ErrBadPolicy: a retention policy (file or flags) that cannot be used.
	ErrBadPolicy = errors.New("bad retention policy")

	// ErrAnomaly: an entry the registry never writes, where regprune
	// refuses to go: a symbolic link or special file below the root, an
	// object key with an empty, "." or ".." component or bytes outside
	// the driver's path alphabet. Every such error is an *AnomalyError
	// naming the entry, and also wraps one of the three below.
	ErrAnomaly = errors.New("anomaly")
	// ErrSymlink: a symbolic link below the root; never followed.
	ErrSymlink = errors.New("symbolic link")
	// ErrSpecialFile: a named pipe, socket or device below the root;
	// never opened for reading.
	ErrSpecialFile = errors.New("special file")
	// ErrOddName: a name no driver path can hold (S3 keys with "//",
	// "..", odd bytes); reported, never followed.
	ErrOddName = errors.New("odd name")
	// ErrTooLarge: a file larger than the bound its reader sets (a link,
	// a manifest); it was not read.
	ErrTooLarge = errors.New("too large")
	// ErrRefused: gc (and prune's gc) refuses to sweep: something it
	// would have to follow to know what is live cannot be read or
	// interpreted (a tag's broken link, an unreadable manifest, a blob
	// store empty while repositories hold revisions, a symbolic link
	// where registry data may be). Nothing was removed; the error names
	// each culprit (gc.RefusalError) and how to fix it.
	ErrRefused = errors.New("gc refuses to sweep")

	// ErrBadJournal: a journal record that cannot be read or trusted
	// (another version, a checksum that does not match, a field out of
	// its grammar); none of it is used.
	ErrBadJournal = errors.New("bad journal record")
	// ErrNotJournaled: a tag removal asked of a Journal that has not
	// recorded the tag: every removal of a tag is journaled first.
	ErrNotJournaled = errors.New("not journaled")
	// ErrBadLog: a registry log that cannot be read: its reader failed,
	// or its compression is broken (a truncated gzip) or not supported
	// (zstd, xz). Lines it cannot interpret are skipped and counted, not
	// errors.
	ErrBadLog = errors.New("unreadable log")
	// ErrBadHistory: a pull history that cannot be read: corrupt,
	// truncated, of another version, or larger than the limit. A history
	// that cannot be read is an error, never "nothing was pulled".
	ErrBadHistory = errors.New("bad pull history")
	// ErrPartialHistory: a pull rule would judge time the pull history
	// does not cover (it starts later, or has a gap): "not pulled" there
	// is no evidence. retention.CoverageError wraps it.
	ErrPartialHistory = errors.New("pull history does not cover the time the rule judges")
)
