package pulls

import (
	"bytes"
	"strconv"
)

// fields are the parts of a logrus line (text or JSON) that Read uses,
// as slices of the line or, for values with escapes, of fresh memory.
type fields struct {
	time, method, uri, status []byte
	known                     bool // a time, level or msg key: a logrus line
	notification              bool // JSON with "events", or "action" and "target"
	action, target            bool
}

// set keeps the value of one key of interest.
func (f *fields) set(key, val []byte) {
	switch string(key) {
	case "time", "@timestamp":
		f.time, f.known = val, true
	case "level", "msg", "message":
		f.known = true
	case "http.request.method":
		f.method = val
	case "http.request.uri":
		f.uri = val
	case "http.response.status":
		f.status = val
	case "action":
		f.action = true
	}
}

// logrusText reports whether a line opens as a logrus text line does: a
// key of letters, digits and ._@- followed by "=".
func logrusText(b []byte) bool {
	for i, c := range b {
		switch {
		case c == '=':
			return i > 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '@', c == '-':
		default:
			return false
		}
	}
	return false
}

// textLine reads a logrus text line: key=value pairs apart by spaces, in
// any order, a value bare (up to the next space) or a Go-quoted string, as
// logrus's TextFormatter quotes any value with a character outside
// [A-Za-z0-9-._/@^+].
func (p *parser) textLine(b []byte, prefix int64, hasPrefix bool) Reason {
	f := &p.fields
	if !scanText(b, f) {
		return Malformed
	}
	if !f.known {
		return Unrecognised
	}
	t, has, future := p.lineTime(f.time, parseRFC3339, prefix, hasPrefix)
	if future {
		return FutureTime
	}
	return p.logrusRequest(f, t, has)
}

// logrusRequest reads the request of a logrus line (text or JSON). Only
// the line the registry writes when a response is complete has a status;
// the request's other lines carry its method and URI as context and are
// no requests of their own.
func (p *parser) logrusRequest(f *fields, t int64, has bool) Reason {
	if f.status == nil {
		return NotRequest
	}
	status, ok := digits(f.status)
	if !ok || len(f.status) != 3 || f.method == nil || f.uri == nil {
		return Malformed
	}
	return p.pull(request{method: f.method, uri: f.uri, status: status}, t, has)
}

// scanText splits a logrus text line into f; false when it is not a
// sequence of key=value pairs.
func scanText(b []byte, f *fields) bool {
	*f = fields{}
	for {
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
		}
		if len(b) == 0 {
			return true
		}
		eq := bytes.IndexByte(b, '=')
		if eq <= 0 || bytes.IndexByte(b[:eq], ' ') >= 0 {
			return false
		}
		key := b[:eq]
		b = b[eq+1:]
		var val []byte
		if len(b) > 0 && b[0] == '"' {
			end, escaped := quoteEnd(b)
			if end < 0 || end+1 < len(b) && b[end+1] != ' ' {
				return false
			}
			val = b[1:end]
			if escaped {
				s, err := strconv.Unquote(string(b[:end+1]))
				if err != nil {
					return false
				}
				val = []byte(s)
			}
			b = b[end+1:]
		} else {
			sp := bytes.IndexByte(b, ' ')
			if sp < 0 {
				sp = len(b)
			}
			val, b = b[:sp], b[sp:]
		}
		f.set(key, val)
	}
}

// quoteEnd finds the closing quote of the quoted string b opens: its
// index, or -1, and whether a backslash escape came before it.
func quoteEnd(b []byte) (int, bool) {
	escaped := false
	for i := 1; i < len(b); {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return -1, escaped
		}
		bs := bytes.IndexByte(b[i:i+q], '\\')
		if bs < 0 {
			return i + q, escaped
		}
		escaped = true
		i += bs + 2
	}
	return -1, escaped
}
