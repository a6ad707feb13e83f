package pulls

import (
	"time"

	"github.com/regprune/regprune/storage"
)

// Event is one pull read from a log: a manifest of Repository fetched by
// tag, by digest, or (a notification event of a pull by tag) both.
type Event struct {
	Repository string
	Tag        string         // "" when pulled by digest
	Digest     storage.Digest // zero when pulled by tag and the log does not say the digest
	Time       time.Time      // UTC, whole seconds
}

// Reason says why an entry of a log is not a pull. An entry is a line, an
// indented JSON document over several lines, or one event of a
// notification envelope; each counts once, as a pull or under a reason.
type Reason int

const (
	Blank         Reason = iota // an empty line
	Unrecognised                // no format Read knows: text, garbage, binary
	TooLong                     // longer than Options.MaxLine
	Malformed                   // a known format, broken: bad JSON, bad quoting, no status
	NotRequest                  // a log line about no finished request (start-up, debug, context lines)
	OtherEndpoint               // a request for anything but /v2/<name>/manifests/<reference>
	OtherMethod                 // a manifest request other than GET or HEAD (a push, a delete)
	Failed                      // a manifest request answered other than 2xx or 304
	BadName                     // a repository name or tag outside distribution's grammar
	BadDigest                   // a digest reference that is not a canonical sha256 digest
	OtherDigest                 // a digest of another algorithm (sha512): the storage holds sha256 only
	NoTime                      // a pull without a readable time
	FutureTime                  // a line later than Options.NotAfter
	OtherEvent                  // a notification other than a manifest pull (push, delete, blob pull)
	numReasons
)

var reasonNames = [numReasons]string{
	Blank:         "blank",
	Unrecognised:  "unrecognised",
	TooLong:       "too long",
	Malformed:     "malformed",
	NotRequest:    "not a request",
	OtherEndpoint: "other endpoint",
	OtherMethod:   "other method",
	Failed:        "failed request",
	BadName:       "bad name",
	BadDigest:     "bad digest",
	OtherDigest:   "non-sha256 digest",
	NoTime:        "no time",
	FutureTime:    "future time",
	OtherEvent:    "other event",
}

// String is the reason as reports show it ("failed request").
func (r Reason) String() string {
	if r < 0 || r >= numReasons {
		return "unknown"
	}
	return reasonNames[r]
}

// Reasons lists every reason, in the order reports show them.
func Reasons() []Reason {
	rs := make([]Reason, numReasons)
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}

// Stats is what Read saw in one log.
type Stats struct {
	Lines      int64             // lines read, the last one without a newline included
	Bytes      int64             // bytes read, after decompression
	Pulls      int64             // pull events passed on (see Read about duplicates)
	Fragmented bool              // the log's times fell into too many pieces to prove coverage
	Skipped    [numReasons]int64 // entries skipped, by reason
	First      time.Time         // earliest time of any line, zero when none had one
	Last       time.Time         // latest time of any line
	Success    int64             // requests answered below 400, and pull notifications: the log records successes
	Covered    []Range           // the time the log covers (see Read); nil when it proves nothing
}

// SkippedTotal is the number of lines and events skipped for any reason.
func (s Stats) SkippedTotal() int64 {
	var n int64
	for _, c := range s.Skipped {
		n += c
	}
	return n
}
