package pulls

// The registry POSTs its notification envelopes indented, a JSON member a
// line; an archive of the bodies as received holds them so. A line that
// opens a JSON object it does not close starts a document; the lines after
// it continue it as long as they look like the inside of an indented
// document (they start with a space, a tab, } or ]; each may carry its own
// kubectl prefix), up to the line that closes it, within MaxLine bytes.
// The document then counts as one entry, under its reason or by its
// events. A line that cannot continue it ends it as Malformed and is read
// on its own, so that a stray "{" swallows no log line after it.

// jsonDepth follows the nesting of a JSON text across lines.
type jsonDepth struct {
	depth int
	bad   bool
}

// scan follows one line; a JSON string never spans lines.
func (j *jsonDepth) scan(b []byte) {
	inString := false
	for i := 0; i < len(b) && !j.bad; i++ {
		c := b[i]
		switch {
		case inString && c == '\\':
			i++
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			j.depth++
		case c == '}' || c == ']':
			j.depth--
			j.bad = j.depth < 0
		}
	}
	if inString {
		j.bad = true
	}
}

// document is an indented JSON document being read.
type document struct {
	open      bool
	text      []byte
	depth     jsonDepth
	prefix    int64 // the kubectl prefix of its first line
	hasPrefix bool
	source    string // the kubectl --prefix source of its lines
}

// startDocument opens a document with a first line that leaves its object
// open, and reports whether it did.
func (p *parser) startDocument(b []byte, prefix int64, hasPrefix bool) bool {
	d := &p.doc
	d.depth = jsonDepth{}
	d.depth.scan(b)
	if d.depth.bad || d.depth.depth == 0 {
		return false
	}
	d.open, d.text, d.prefix, d.hasPrefix = true, append(d.text[:0], b...), prefix, hasPrefix
	d.source = p.sourceName
	return true
}

// continueDocument reads a line into the open document, or ends the
// document as Malformed and reports false when the line cannot continue it.
func (p *parser) continueDocument(b []byte) bool {
	d := &p.doc
	source, b, _ := sourcePrefix(b)
	if d.source != string(source) {
		// Another replica's line: documents do not interleave.
		p.endDocument()
		return false
	}
	t, rest, hasPrefix := kubectlPrefix(b)
	if hasPrefix {
		b = rest
	}
	if len(b) == 0 || b[0] != ' ' && b[0] != '\t' && b[0] != '}' && b[0] != ']' {
		p.endDocument()
		return false
	}
	if hasPrefix {
		p.seen(t)
	}
	if len(d.text)+1+len(b) > p.maxLine {
		d.open = false
		p.stats.Skipped[TooLong]++
		return true
	}
	d.text = append(append(d.text, '\n'), b...)
	d.depth.scan(b)
	switch {
	case d.depth.bad:
		d.open = false
		p.stats.Skipped[Malformed]++
	case d.depth.depth == 0:
		d.open = false
		p.count(p.jsonLine(d.text, d.prefix, d.hasPrefix))
	}
	return true
}

// endDocument counts a document left open (by a line that cannot continue
// it, or the end of the log) as Malformed.
func (p *parser) endDocument() {
	if p.doc.open {
		p.doc.open = false
		p.stats.Skipped[Malformed]++
	}
}
