package shell

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func env(name string) (string, bool) {
	v, ok := map[string]string{"VERSION": "1.2", "EMPTY": ""}[name]
	return v, ok
}

func TestWords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want []string
	}{
		{"regprune --root /srv tag ls", []string{"regprune", "--root", "/srv", "tag", "ls"}},
		{`a 'b c' "d e" f\ g`, []string{"a", "b c", "d e", "f g"}},
		{`-ldflags "-s -w -X main.version=${VERSION}"`, []string{"-ldflags", "-s -w -X main.version=1.2"}},
		{`x=$VERSION y=${UNSET:-dflt} z=${EMPTY:-e} w=$UNSET.`, []string{"x=1.2", "y=dflt", "z=e", "w=."}},
		{"a \\\n  b", []string{"a", "b"}},
		{`'' "" x`, []string{"", "", "x"}},
		{`"a\"b\$c\d"`, []string{`a"b$c\d`}},
		{`'$VERSION' cost$ a#b # comment`, []string{"$VERSION", "cost$", "a#b"}},
		{"", nil},
	}
	for _, c := range cases {
		got, err := Words(c.in, env)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Words(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestWordsWithoutLookupKeepsVariables(t *testing.T) {
	t.Parallel()
	got, err := Words(`regprune --root "$ROOT" --config=${CFG}`, nil)
	want := []string{"regprune", "--root", "$ROOT", "--config=${CFG}"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}

func TestWordsRefusesMoreThanOneCommand(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"a && b", "a | b", "a; b", "a > f", "echo $(date)", "echo `date`", `"$(x)"`} {
		if _, err := Words(in, env); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Words(%q) err = %v, want ErrUnsupported", in, err)
		}
	}
	for _, in := range []string{`'open`, `"open`, `${open`} {
		if _, err := Words(in, env); err == nil {
			t.Errorf("Words(%q) accepted an unterminated quote", in)
		}
	}
}

func FuzzWords(f *testing.F) {
	for _, s := range []string{"a b c", `x "y z" 'q'`, "${A:-b} $C", "a \\\nb", `"\\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		words, err := Words(in, env)
		if err != nil {
			return
		}
		if !strings.ContainsAny(in, "'\"\\$#") {
			want := strings.FieldsFunc(in, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
			if !reflect.DeepEqual(words, want) && len(want) > 0 {
				t.Errorf("plain %q split into %q, want %q", in, words, want)
			}
		}
	})
}
