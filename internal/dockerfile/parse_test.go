package dockerfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const sample = `# syntax=docker/dockerfile:1
ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG VERSION=dev
ARG COMMIT
# a comment
RUN CGO_ENABLED=0 go build \
    # inside a continuation
    -o /out/x .

from scratch
COPY --from=build /out/x /x
ENTRYPOINT ["/x", "--help"]
`

func TestParse(t *testing.T) {
	t.Parallel()
	f, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if f.GlobalArgs["GO_VERSION"] != "1.26" {
		t.Errorf("global args %v", f.GlobalArgs)
	}
	if len(f.Stages) != 2 || f.Stages[0].Base != "golang:${GO_VERSION}" || f.Stages[1].Base != "scratch" {
		t.Fatalf("stages %+v", f.Stages)
	}
	build, ok := f.Stage("build")
	if !ok {
		t.Fatal("no build stage")
	}
	runs := build.Find("run")
	if len(runs) != 1 || runs[0].Args != "CGO_ENABLED=0 go build -o /out/x ." || runs[0].Line != 8 {
		t.Errorf("RUN = %+v", runs)
	}
	args := build.Args(f.GlobalArgs)
	if want := map[string]string{"GO_VERSION": "1.26", "VERSION": "dev", "COMMIT": ""}; !reflect.DeepEqual(args, want) {
		t.Errorf("args %v, want %v", args, want)
	}
	ep := f.Stages[1].Find("ENTRYPOINT")
	words, ok := ep[0].Exec()
	if len(ep) != 1 || !ok || !reflect.DeepEqual(words, []string{"/x", "--help"}) {
		t.Errorf("ENTRYPOINT %+v -> %q", ep, words)
	}
}

func TestParseEscapeDirective(t *testing.T) {
	t.Parallel()
	f, err := Parse(strings.NewReader("# escape=`\nFROM x\nRUN a `\n  b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Stages[0].Instructions[0].Args; got != "a b" {
		t.Errorf("RUN %q, want %q", got, "a b")
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "# only a comment\n", "RUN x\nFROM y\n", "FROM a b c d\n", "FROM x\nRUN <<EOF\nhi\nEOF\n", "FROM x\nRUN a \\\n"} {
		if _, err := Parse(strings.NewReader(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) err = %v, want ErrSyntax", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("# escape=`\nFROM x AS y\nRUN a `\n b\n")
	f.Add("FROM x\nRUN <<EOF\n")
	f.Fuzz(func(t *testing.T, in string) {
		file, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		if len(file.Stages) == 0 {
			t.Fatalf("parsed without a stage")
		}
		for _, st := range file.Stages {
			for _, ins := range st.Instructions {
				if ins.Command == "" || ins.Command == "FROM" || ins.Line < 1 {
					t.Errorf("bad instruction %+v", ins)
				}
			}
		}
	})
}
