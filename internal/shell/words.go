// Package shell splits a simple POSIX shell command line into words, the
// way sh would for one command: quotes, backslashes and variable
// expansion, nothing more. It exists so that tests can run the command a
// Dockerfile's RUN gives and check every regprune command line the docs
// show against the real flags; anything beyond one simple command (pipes,
// lists, substitutions, redirections) is an error rather than a guess.
package shell

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrUnsupported is returned for shell syntax beyond one simple command.
var ErrUnsupported = errors.New("unsupported shell syntax")

// Lookup returns a variable's value; ok is false when it is unset. A nil
// Lookup leaves every $VAR and ${VAR} as written.
type Lookup func(name string) (value string, ok bool)

// Words splits line into words, expanding variables through lookup.
func Words(line string, lookup Lookup) ([]string, error) {
	if !utf8.ValidString(line) {
		return nil, fmt.Errorf("%w: not UTF-8: %q", ErrUnsupported, line)
	}
	s := &splitter{in: []rune(line), lookup: lookup}
	return s.split()
}

type splitter struct {
	in     []rune
	pos    int
	lookup Lookup
	words  []string
	cur    strings.Builder
	inWord bool
}

func (s *splitter) split() ([]string, error) {
	for s.pos < len(s.in) {
		r := s.in[s.pos]
		var err error
		switch {
		case r == ' ' || r == '\t' || r == '\n':
			s.endWord()
			s.pos++
		case r == '\'':
			err = s.single()
		case r == '"':
			err = s.double()
		case r == '\\':
			s.escaped(false)
		case r == '$':
			err = s.dollar()
		case strings.ContainsRune("|&;<>()`", r):
			return nil, fmt.Errorf("%w: %q at offset %d", ErrUnsupported, r, s.pos)
		case r == '#' && !s.inWord:
			s.pos = len(s.in) // a comment runs to the end
		default:
			s.add(string(r))
			s.pos++
		}
		if err != nil {
			return nil, err
		}
	}
	s.endWord()
	return s.words, nil
}

func (s *splitter) add(t string) {
	s.cur.WriteString(t)
	s.inWord = true
}

func (s *splitter) endWord() {
	if s.inWord {
		s.words = append(s.words, s.cur.String())
	}
	s.cur.Reset()
	s.inWord = false
}

// single reads '...': everything literal.
func (s *splitter) single() error {
	end := indexFrom(s.in, s.pos+1, '\'')
	if end < 0 {
		return fmt.Errorf("unterminated ' at offset %d", s.pos)
	}
	s.add(string(s.in[s.pos+1 : end]))
	s.pos = end + 1
	return nil
}

// double reads "...": backslash escapes $ ` " \ and newline; $ expands.
func (s *splitter) double() error {
	start := s.pos
	s.pos++
	s.inWord = true
	for s.pos < len(s.in) {
		switch r := s.in[s.pos]; r {
		case '"':
			s.pos++
			return nil
		case '\\':
			s.escaped(true)
		case '$':
			if err := s.dollar(); err != nil {
				return err
			}
		case '`':
			return fmt.Errorf("%w: ` at offset %d", ErrUnsupported, s.pos)
		default:
			s.add(string(r))
			s.pos++
		}
	}
	return fmt.Errorf("unterminated \" at offset %d", start)
}

// escaped reads a backslash and what follows it.
func (s *splitter) escaped(inDouble bool) {
	if s.pos+1 >= len(s.in) {
		s.add(`\`)
		s.pos++
		return
	}
	next := s.in[s.pos+1]
	s.pos += 2
	switch {
	case next == '\n':
		// a line continuation joins the lines
	case inDouble && !strings.ContainsRune("$`\"\\", next):
		s.add(`\` + string(next))
	default:
		s.add(string(next))
	}
}

// dollar reads $NAME, ${NAME} or ${NAME:-default}.
func (s *splitter) dollar() error {
	rest := s.in[s.pos+1:]
	switch {
	case len(rest) > 0 && rest[0] == '(':
		return fmt.Errorf("%w: $( at offset %d", ErrUnsupported, s.pos)
	case len(rest) > 0 && rest[0] == '{':
		end := indexFrom(s.in, s.pos+2, '}')
		if end < 0 {
			return fmt.Errorf("unterminated ${ at offset %d", s.pos)
		}
		s.expand(string(s.in[s.pos:end+1]), string(s.in[s.pos+2:end]))
		s.pos = end + 1
	default:
		n := 0
		for n < len(rest) && isNameRune(rest[n], n == 0) {
			n++
		}
		if n == 0 {
			s.add("$")
			s.pos++
			return nil
		}
		s.expand(string(s.in[s.pos:s.pos+1+n]), string(rest[:n]))
		s.pos += 1 + n
	}
	return nil
}

// expand adds the value of expr ("NAME" or "NAME:-default"), or the
// original text when there is no lookup.
func (s *splitter) expand(original, expr string) {
	if s.lookup == nil {
		s.add(original)
		return
	}
	name, def, hasDef := strings.Cut(expr, ":-")
	v, ok := s.lookup(name)
	if (!ok || v == "") && hasDef {
		v = def
	}
	s.add(v)
}

func isNameRune(r rune, first bool) bool {
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (!first && r >= '0' && r <= '9')
}

func indexFrom(in []rune, from int, r rune) int {
	for i := from; i < len(in); i++ {
		if in[i] == r {
			return i
		}
	}
	return -1
}
