package pulls

import (
	"bytes"

	"github.com/regprune/regprune/storage"
)

// request is one finished HTTP request as a log line records it, its
// fields still as the line holds them (after the format's own unquoting).
type request struct {
	method []byte
	uri    []byte
	status int
}

var manifestsPart = []byte("/manifests/")

// manifestPath cuts a request URI into the repository name and reference
// of a manifest request, as the registry's router sees it: an absolute-form
// URI loses its scheme and host, the query is dropped (a request URI has no
// fragment: '#' is part of the path, as net/url reads it), percent-escapes are
// decoded (the router matches the decoded path: team%2Fapp is team/app),
// and the reference follows the last "/manifests/" (a reference has no /,
// a name may hold "manifests"). scratch receives the decoded path when it
// differs from the URI. ok is false when the URI is not of a manifest.
func manifestPath(uri []byte, scratch *[]byte) (name, ref []byte, ok bool, bad bool) {
	if uri = requestPath(uri); uri == nil {
		return nil, nil, false, false
	}
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if bytes.IndexByte(uri, '%') >= 0 {
		var good bool
		*scratch, good = unescapePath((*scratch)[:0], uri)
		if !good {
			return nil, nil, false, true
		}
		uri = *scratch
	}
	if !bytes.HasPrefix(uri, []byte("/v2/")) {
		return nil, nil, false, false
	}
	path := uri[len("/v2"):]
	// Index first: most requests are of blobs, and Index is the fast one.
	i := bytes.Index(path, manifestsPart)
	if i >= 0 {
		i += bytes.LastIndex(path[i:], manifestsPart)
	}
	if i < 1 {
		return nil, nil, false, false
	}
	name, ref = path[1:i], path[i+len(manifestsPart):]
	if len(name) == 0 || len(ref) == 0 || bytes.IndexByte(ref, '/') >= 0 {
		return nil, nil, false, false
	}
	return name, ref, true, false
}

// requestPath is the path (with its query) of a request URI: the URI
// itself in origin form, its part from the first '/' after the authority
// in absolute form (scheme://authority/path), nil when it has no path (an
// opaque URI, "*", a bare authority).
func requestPath(uri []byte) []byte {
	if len(uri) > 0 && uri[0] == '/' {
		return uri
	}
	i := 0
	for i < len(uri) && (uri[i] >= 'a' && uri[i] <= 'z' || uri[i] >= 'A' && uri[i] <= 'Z' ||
		i > 0 && (uri[i] >= '0' && uri[i] <= '9' || uri[i] == '+' || uri[i] == '-' || uri[i] == '.')) {
		i++
	}
	if i == 0 || i == len(uri) || uri[i] != ':' {
		return nil
	}
	rest := uri[i+1:]
	if bytes.HasPrefix(rest, []byte("//")) {
		j := bytes.IndexByte(rest[2:], '/')
		if j < 0 {
			return nil
		}
		rest = rest[2+j:]
	}
	if len(rest) == 0 || rest[0] != '/' {
		return nil
	}
	return rest
}

// unescapePath decodes %XX escapes as url.PathUnescape does ('+' stays),
// appending to dst; false on a malformed escape.
func unescapePath(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			dst = append(dst, s[i])
			continue
		}
		if i+2 >= len(s) {
			return dst, false
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return dst, false
		}
		dst = append(dst, hi<<4|lo)
		i += 2
	}
	return dst, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// succeeded reports whether a manifest request's status is that of a pull:
// any 2xx, and 304 (the registry answers a conditional GET whose
// If-None-Match names the manifest's digest with 304 Not Modified: the
// client holds that manifest and just confirmed it is current).
func succeeded(status int) bool {
	return status >= 200 && status < 300 || status == 304
}

// pull turns a request into a pull event, or says why it is none.
// t is the line's time; hasTime false when it had none.
func (p *parser) pull(rq request, t int64, hasTime bool) Reason {
	if rq.status >= 200 && rq.status < 400 {
		p.stats.Success++
	}
	name, ref, ok, bad := manifestPath(rq.uri, &p.scratch)
	switch {
	case bad:
		return Malformed
	case !ok:
		return OtherEndpoint
	case string(rq.method) != "GET" && string(rq.method) != "HEAD":
		return OtherMethod
	case !succeeded(rq.status):
		return Failed
	}
	return p.emit(name, ref, nil, t, hasTime)
}

// emit validates a pulled name with its reference (a tag or a digest) and,
// for notifications, a digest alongside a tag, and passes the event on.
func (p *parser) emit(name, ref, digest []byte, t int64, hasTime bool) Reason {
	repo, ok := p.names.repository(name)
	if !ok {
		return BadName
	}
	var e Event
	e.Repository = repo
	if bytes.IndexByte(ref, ':') >= 0 {
		digest, ref = ref, nil
	}
	if len(ref) > 0 {
		if e.Tag, ok = p.names.tag(ref); !ok {
			return BadName
		}
	}
	if len(digest) > 0 {
		d, why := digestOf(digest)
		switch {
		case why == pulled:
			e.Digest = d
		case e.Tag == "":
			return why
		}
	}
	if !hasTime {
		return NoTime
	}
	if t > p.notAfter {
		return FutureTime
	}
	e.Time = unixTime(t)
	p.fn(e)
	return pulled
}

// digestOf reads a digest reference; a reason when it is no sha256 digest
// in canonical form (BadDigest) or one of another algorithm (OtherDigest).
// It agrees with storage.ParseDigest without building a string per pull.
func digestOf(b []byte) (storage.Digest, Reason) {
	var d storage.Digest
	hexPart, found := bytes.CutPrefix(b, []byte("sha256:"))
	if !found {
		if i := bytes.IndexByte(b, ':'); i > 0 && bytes.IndexFunc(b[:i], notAlgorithm) < 0 {
			return d, OtherDigest
		}
		return d, BadDigest
	}
	if len(hexPart) != 2*len(d) {
		return d, BadDigest
	}
	for i := range d {
		hi, lo := hexPart[2*i], hexPart[2*i+1]
		if !lowerHex(hi) || !lowerHex(lo) {
			return storage.Digest{}, BadDigest
		}
		h, _ := unhex(hi)
		l, _ := unhex(lo)
		d[i] = h<<4 | l
	}
	return d, pulled
}

func lowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// notAlgorithm is true for a rune no digest algorithm name holds
// (OCI: [a-z0-9]+ joined by + . _ -).
func notAlgorithm(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '.' || r == '_' || r == '-')
}
