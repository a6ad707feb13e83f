// Package pulls reads the registry's own logs into pull events and keeps
// them as a pull history: when each tag and each manifest digest of each
// repository was last pulled, and which time the recorded logs covered.
// It is pure: it reads from an io.Reader and encodes to an io.Writer; the
// commands decide where logs and the history come from and go.
//
// # Formats
//
// Read accepts, mixed in one log, plain or gzip-compressed (told by the
// magic bytes), one entry a line:
//
//   - the logrus text lines of registry 2.8 and 3.x:
//     time="..." level=info msg="response completed" ... http.request.method=GET
//     http.request.uri=/v2/team/app/manifests/v1 ... http.response.status=200,
//     keys in any order, values bare or Go-quoted;
//   - the same as JSON objects (log.formatter json; logstash's @timestamp
//     is read too), the status a number;
//   - combined access-log lines, as the registry writes them (unless
//     log.accesslog.disabled) and nginx or an ingress in front of it
//     (extra fields after the user agent are ignored):
//     127.0.0.1 - - [02/Dec/2026:06:59:51 +0000] "GET /v2/team/app/manifests/v1 HTTP/1.1" 200 423 "" "crane/...";
//   - notification envelopes {"events":[...]} or single events, one a
//     line, or indented over several lines as the registry sends them;
//   - any of these behind the prefixes kubectl logs --prefix and
//     --timestamps add (kubectl logs -l app=registry --prefix --timestamps
//     --tail=-1 reads every replica).
//
// # What counts as a pull
//
// A GET or HEAD of /v2/<name>/manifests/<reference> answered 2xx or 304,
// or a notification event with action "pull" of a manifest (not a blob).
// HEAD counts because clients resolve a tag with it before fetching by
// digest; 304 counts because the registry answers it to a conditional GET
// naming the manifest the client holds: the client uses that manifest.
// The URI is decoded as the registry's router decodes it (absolute form,
// query, percent-escapes); the name and tag must pass distribution's
// grammar (storage.ValidRepository, storage.ValidTag) and a digest must be
// a canonical sha256 digest. Every other entry is skipped and counted by
// Reason.
//
// # Coverage
//
// A log covers the time from its first to its last timed line, cut where
// it fell silent for longer than Options.MaxSilence, and only when it shows
// that it records successful requests (see Read); a stream of several
// replicas (kubectl --prefix) covers what all of them cover. Each replica
// serves its own pulls: the log of one replica says nothing of the others. The history keeps the
// union of what recorded logs covered, and a pull rule over a duration may
// trust "not pulled" only where the history covers that whole duration
// (History.Uncovered).
//
// # History file
//
// History.Encode and Decode read and write a versioned, checksummed,
// deterministic file (see codec.go); anything Decode cannot read wholly is
// an error wrapping storage.ErrBadHistory, never an empty history.
package pulls
