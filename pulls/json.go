package pulls

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonLine reads a line holding one JSON object: a logrus line
// (log.formatter json or logstash: the text format's keys, the status a
// number), a notification envelope or a notification event.
func (p *parser) jsonLine(b []byte, prefix int64, hasPrefix bool) Reason {
	f := &p.fields
	if !scanJSON(b, f) {
		return Malformed
	}
	if f.notification || f.action && f.target {
		return p.notificationLine(b, f.notification, prefix, hasPrefix)
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

// scanJSON reads the members of the JSON object b holds into f, without
// building the object: the wanted values are slices of b (or, when they
// hold escapes, decoded copies); other values are skipped. False when b
// is not one JSON object. Where encoding/json reads b as an object, the
// values agree with its (FuzzScanJSON checks it).
func scanJSON(b []byte, f *fields) bool {
	*f = fields{}
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		key, next, ok := jsonString(b, i)
		if !ok {
			return false
		}
		i = skipSpace(b, next)
		if i == len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '"' {
			val, next, ok := jsonString(b, i)
			if !ok {
				return false
			}
			f.set(key, val)
			i = next
		} else {
			next, ok := skipValue(b, i)
			if !ok {
				return false
			}
			f.setOther(key, b[i:next])
			i = next
		}
		i = skipSpace(b, i)
		switch {
		case i == len(b):
			return false
		case b[i] == ',':
			i = skipSpace(b, i+1)
		case b[i] == '}':
			return skipSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// setOther keeps a value of interest that is not a string: the status (a
// number), and the keys that make a line a notification.
func (f *fields) setOther(key, raw []byte) {
	switch string(key) {
	case "http.response.status":
		f.status = raw
	case "events":
		f.notification = raw[0] == '['
	case "target":
		f.target = raw[0] == '{'
	case "level", "msg", "message":
		f.known = true
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonString reads the JSON string starting at b[i]: its value and the
// index after it. Without escapes the value is a slice of b.
func jsonString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	start := i + 1
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[start:j], j + 1, true
		case c == '\\':
			return unescapeJSON(b, start)
		case c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// unescapeJSON decodes a JSON string with escapes, from its first byte
// after the opening quote, as encoding/json does (invalid UTF-8 and lone
// surrogates become U+FFFD).
func unescapeJSON(b []byte, start int) ([]byte, int, bool) {
	var out []byte
	for j := start; j < len(b); {
		c := b[j]
		switch {
		case c == '"':
			return out, j + 1, true
		case c < 0x20:
			return nil, 0, false
		case c == '\\':
			if j+1 >= len(b) {
				return nil, 0, false
			}
			n, r := escapeValue(b[j:])
			if n == 0 {
				return nil, 0, false
			}
			out = utf8.AppendRune(out, r)
			j += n
		case c < utf8.RuneSelf:
			out = append(out, c)
			j++
		default:
			r, size := utf8.DecodeRune(b[j:])
			out = utf8.AppendRune(out, r)
			j += size
		}
	}
	return nil, 0, false
}

// escapeValue reads one escape (b[0] is the backslash): its length and
// rune, or 0 when malformed. A \u surrogate pair reads as one rune.
func escapeValue(b []byte) (int, rune) {
	switch b[1] {
	case '"', '\\', '/':
		return 2, rune(b[1])
	case 'b':
		return 2, '\b'
	case 'f':
		return 2, '\f'
	case 'n':
		return 2, '\n'
	case 'r':
		return 2, '\r'
	case 't':
		return 2, '\t'
	case 'u':
		r, ok := hex4(b[2:])
		if !ok {
			return 0, 0
		}
		if !utf16.IsSurrogate(r) {
			return 6, r
		}
		if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if r2, ok := hex4(b[8:]); ok {
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					return 12, dec
				}
			}
		}
		return 6, utf8.RuneError
	}
	return 0, 0
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(v), err == nil
}

// skipValue skips a JSON value other than a string starting at b[i]
// (objects and arrays whole, strings inside them included) and returns the
// index after it.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				_, next, ok := jsonString(b, i)
				if !ok {
					return 0, false
				}
				i = next
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	j := i
	for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] >= 'a' && b[j] <= 'z' || b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] == 'E') {
		j++
	}
	return j, j > i
}
