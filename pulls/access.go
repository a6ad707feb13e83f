package pulls

import (
	"bytes"
	"strconv"
)

// accessLine reads a line of the combined access log, as the registry
// writes it (unless log.accesslog.disabled) and nginx or an ingress in
// front of it:
//
//	host ident user [02/Jan/2006:15:04:05 -0700] "GET /v2/... HTTP/1.1" 200 423 "referer" "agent" ...
//
// Anything after the status is ignored. The request is a quoted string
// whose escapes (\" \\ \xNN, as Go's and nginx's loggers write them) are
// decoded. The user field is the client's to choose (the registry logs the
// user of an absolute-form URI as is), so a line is read only when it
// holds exactly one "[<time>] \"": a client that writes a forged time and
// request there gets its own line skipped (Malformed), not a forged pull
// or a forged time stretching the log's coverage.
func (p *parser) accessLine(b []byte, prefix int64, hasPrefix bool) Reason {
	open := accessStamp(b)
	switch {
	case open == -1:
		return Unrecognised
	case open < 0:
		return Malformed
	}
	rest := b[open+1:]
	t, has, future := p.lineTime(rest[:26], parseCommonLog, prefix, hasPrefix)
	if future {
		return FutureTime
	}
	rest = rest[28:]
	end, escaped := quoteEnd(rest)
	if end < 0 {
		return Malformed
	}
	reqLine := rest[1:end]
	if escaped {
		var ok bool
		if reqLine, ok = unescapeAccess(reqLine); !ok {
			return Malformed
		}
	}
	rest = rest[end+1:]
	if len(rest) < 4 || rest[0] != ' ' || len(rest) > 4 && rest[4] != ' ' {
		return Malformed
	}
	status, ok := digits(rest[1:4])
	if !ok {
		return Malformed
	}
	sp := bytes.IndexByte(reqLine, ' ')
	last := bytes.LastIndexByte(reqLine, ' ')
	if sp <= 0 || last == sp {
		// "-" or bytes that were no HTTP request at all.
		if status >= 200 && status < 400 {
			p.stats.Success++
		}
		return OtherEndpoint
	}
	return p.pull(request{method: reqLine[:sp], uri: reqLine[sp+1 : last], status: status}, t, has)
}

// unescapeAccess decodes the backslash escapes of a quoted access-log
// field: \" \\ and \xNN of both loggers, and the other Go escapes gorilla's
// logger writes for characters that do not print.
func unescapeAccess(b []byte) ([]byte, bool) {
	s, err := strconv.Unquote(`"` + string(b) + `"`)
	if err != nil {
		return nil, false
	}
	return []byte(s), true
}

var stampEnd = []byte(`] "`)

// accessStamp finds the one "[<time>] \"" of an access-log line after its
// first field: the index of its '[', -1 when there is none, -2 when there
// are more.
func accessStamp(b []byte) int {
	found := -1
	for i := 0; ; {
		j := bytes.Index(b[i:], stampEnd)
		if j < 0 {
			return found
		}
		k := i + j
		if k >= 28 && b[k-27] == '[' && b[k-28] == ' ' {
			if _, ok := parseCommonLog(b[k-26 : k]); ok {
				if found >= 0 {
					return -2
				}
				found = k - 27
			}
		}
		i = k + 1
	}
}
