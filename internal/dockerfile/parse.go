// Package dockerfile reads a Dockerfile into its stages and instructions:
// enough for a test to check regprune's own Dockerfile and run its build
// command without a container engine. It handles comments, line
// continuations, the escape directive, FROM ... AS stages and ARG defaults;
// heredocs are refused.
package dockerfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrSyntax is returned for a Dockerfile this package cannot read.
var ErrSyntax = errors.New("dockerfile syntax")

// Instruction is one instruction: its command in upper case and its
// arguments, continuation lines joined.
type Instruction struct {
	Line    int
	Command string
	Args    string
}

// Exec returns the arguments of an exec-form (JSON array) instruction.
func (in Instruction) Exec() ([]string, bool) {
	var words []string
	if err := json.Unmarshal([]byte(in.Args), &words); err != nil {
		return nil, false
	}
	return words, true
}

// Stage is a FROM and the instructions after it.
type Stage struct {
	Base, Name   string
	Instructions []Instruction
}

// Find returns the stage's instructions with command cmd.
func (s *Stage) Find(cmd string) []Instruction {
	var out []Instruction
	for _, in := range s.Instructions {
		if in.Command == strings.ToUpper(cmd) {
			out = append(out, in)
		}
	}
	return out
}

// Args returns the stage's ARG defaults (ARG NAME=value), over global.
func (s *Stage) Args(global map[string]string) map[string]string {
	out := make(map[string]string, len(global))
	for k, v := range global {
		out[k] = v
	}
	for _, in := range s.Find("ARG") {
		if name, v, ok := strings.Cut(in.Args, "="); ok {
			out[strings.TrimSpace(name)] = strings.Trim(strings.TrimSpace(v), `"`)
		} else if _, known := out[in.Args]; !known {
			out[strings.TrimSpace(in.Args)] = ""
		}
	}
	return out
}

// File is a parsed Dockerfile.
type File struct {
	GlobalArgs map[string]string // ARG defaults before the first FROM
	Stages     []*Stage
}

// Stage returns the stage named name.
func (f *File) Stage(name string) (*Stage, bool) {
	for _, s := range f.Stages {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return nil, false
}

// Parse reads a Dockerfile.
func Parse(r io.Reader) (*File, error) {
	ins, err := instructions(r)
	if err != nil {
		return nil, err
	}
	f := &File{GlobalArgs: map[string]string{}}
	for _, in := range ins {
		switch {
		case in.Command == "FROM":
			st, err := from(in)
			if err != nil {
				return nil, err
			}
			f.Stages = append(f.Stages, st)
		case len(f.Stages) == 0 && in.Command == "ARG":
			name, v, _ := strings.Cut(in.Args, "=")
			f.GlobalArgs[strings.TrimSpace(name)] = strings.Trim(strings.TrimSpace(v), `"`)
		case len(f.Stages) == 0:
			return nil, fmt.Errorf("%w: line %d: %s before the first FROM", ErrSyntax, in.Line, in.Command)
		default:
			last := f.Stages[len(f.Stages)-1]
			last.Instructions = append(last.Instructions, in)
		}
	}
	if len(f.Stages) == 0 {
		return nil, fmt.Errorf("%w: no FROM", ErrSyntax)
	}
	return f, nil
}

// from reads "FROM [--platform=...] image [AS name]".
func from(in Instruction) (*Stage, error) {
	var words []string
	for _, w := range strings.Fields(in.Args) {
		if !strings.HasPrefix(w, "--") {
			words = append(words, w)
		}
	}
	switch {
	case len(words) == 1:
		return &Stage{Base: words[0]}, nil
	case len(words) == 3 && strings.EqualFold(words[1], "AS"):
		return &Stage{Base: words[0], Name: words[2]}, nil
	}
	return nil, fmt.Errorf("%w: line %d: FROM %s", ErrSyntax, in.Line, in.Args)
}

// instructions splits the text into instructions.
func instructions(r io.Reader) ([]Instruction, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	escape := `\`
	var out []Instruction
	var cur *Instruction
	n, directives := 0, true
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimSpace(line)
		if directives {
			if esc, ok := escapeDirective(trimmed); ok {
				escape = esc
				continue
			}
			directives = false // directives come first, before anything else
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // comments and blank lines, also inside continuations
		}
		if cur == nil {
			cmd, args, _ := strings.Cut(trimmed, " ")
			cur = &Instruction{Line: n, Command: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
			line = ""
		} else {
			line = " " + trimmed
		}
		if cur.Command == "RUN" && isHeredoc(cur.Args+line) {
			return nil, fmt.Errorf("%w: line %d: heredocs are not supported", ErrSyntax, n)
		}
		cur.Args = strings.TrimSpace(cur.Args + line)
		if strings.HasSuffix(cur.Args, escape) {
			cur.Args = strings.TrimSpace(strings.TrimSuffix(cur.Args, escape))
			continue
		}
		out = append(out, *cur)
		cur = nil
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	if cur != nil {
		return nil, fmt.Errorf("%w: line %d: continuation at the end of the file", ErrSyntax, cur.Line)
	}
	return out, nil
}

func escapeDirective(line string) (string, bool) {
	body, ok := strings.CutPrefix(line, "#")
	if !ok {
		return "", false
	}
	key, v, ok := strings.Cut(body, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(key), "escape") {
		return "", false
	}
	v = strings.TrimSpace(v)
	if v != `\` && v != "`" {
		return "", false
	}
	return v, true
}

func isHeredoc(args string) bool {
	for _, w := range strings.Fields(args) {
		if strings.HasPrefix(w, "<<") && len(w) > 2 {
			return true
		}
	}
	return false
}
