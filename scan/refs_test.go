package scan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/regprune/regprune/storage"
)

func TestParseRef(t *testing.T) {
	t.Parallel()
	good := map[string][2]string{
		"i:T12":               {"i", "T12"},
		"team/*:pr-*":         {"team/*", "pr-*"},
		"i*:T?2":              {"i*", "T?2"},
		"a/b/c:1.0":           {"a/b/c", "1.0"},
		"localhost:5000/x:v1": {"localhost:5000/x", "v1"}, // the last ':' splits
		"i:_private":          {"i", "_private"},          // tags may start with _
	}
	for ref, want := range good {
		r, tg, err := ParseRef(ref)
		if err != nil || r != want[0] || tg != want[1] {
			t.Errorf("ParseRef(%q) = %q, %q, %v; want %q, %q", ref, r, tg, err, want[0], want[1])
		}
	}
	bad := []string{
		"i", "i:", ":T1", "localhost:5000/x", "../a:b", "a/../b:t", "/abs:t", "a//b:t", "_x:t", "a/_layers:t",
		"Upper:t", "i:bad tag", "i:.hidden", "i:a/b", "*/..:t", "_*:t", "/*:t", "i:[", "team/[:x", "i:" + strings.Repeat("x", 129),
		"i@sha256:" + strings.Repeat("a", 64),
	}
	for _, ref := range bad {
		if _, _, err := ParseRef(ref); !errors.Is(err, storage.ErrBadName) {
			t.Errorf("ParseRef(%q) = %v, want ErrBadName", ref, err)
		}
	}
}

var sampleRepos = map[string][]string{
	"i":            {"T11", "T12", "T13", "T21", "T22", "T51", "T52"},
	"team/app":     {"latest", "v1", "pr-1", "pr-2"},
	"team/app/api": {"v1", "pr-1"},
	"team/web":     {"pr-3", "main"},
	"a/b/c":        {"1.0"},
	"empty":        nil,
}

func TestResolveRefs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		refs []string
		want []string
	}{
		{[]string{"i:T12", "i:T22", "i:T52"}, []string{"i:T12", "i:T22", "i:T52"}},
		{[]string{"i:T?2"}, []string{"i:T12", "i:T22", "i:T52"}},
		{[]string{"i*:T?2", "i:T12"}, []string{"i:T12", "i:T22", "i:T52"}}, // each tag once
		{[]string{"team/*:pr-*"}, []string{"team/app:pr-1", "team/app:pr-2", "team/web:pr-3"}},
		{[]string{"team/*/*:pr-*"}, []string{"team/app/api:pr-1"}},
		{[]string{"a/b/c:*"}, []string{"a/b/c:1.0"}},
		{[]string{"team/web:main", "a/b/c:1.0"}, []string{"a/b/c:1.0", "team/web:main"}},
	}
	for _, c := range cases {
		got, err := ResolveRefs(c.refs, sampleRepos)
		if err != nil {
			t.Errorf("ResolveRefs(%q): %v", c.refs, err)
			continue
		}
		var s []string
		for _, n := range got {
			s = append(s, n.String())
		}
		if !reflect.DeepEqual(s, c.want) {
			t.Errorf("ResolveRefs(%q) = %q, want %q", c.refs, s, c.want)
		}
	}
}

func TestResolveRefsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		refs []string
		want error
		bad  string // the REF the message must name
	}{
		{[]string{"i:T12", "x:y"}, storage.ErrNotFound, `"x:y"`},
		{[]string{"i:T99", "i:T12"}, storage.ErrNotFound, `"i:T99"`},
		{[]string{"empty:v1"}, storage.ErrNotFound, `"empty:v1"`},
		{[]string{"team:v1"}, storage.ErrNotFound, `"team:v1"`}, // a directory, not a repository
		{[]string{"i:T9*"}, storage.ErrNoMatch, `"i:T9*"`},
		{[]string{"z*:T1"}, storage.ErrNoMatch, `"z*:T1"`},
		{[]string{"team/*:nope-*"}, storage.ErrNoMatch, "team/app, team/web"},
		{[]string{"i:T12", "../i:T12"}, storage.ErrBadName, `"../i:T12"`},
		{[]string{"i"}, storage.ErrBadName, `"i"`},
	}
	for _, c := range cases {
		got, err := ResolveRefs(c.refs, sampleRepos)
		if !errors.Is(err, c.want) || got != nil {
			t.Errorf("ResolveRefs(%q) = %v, %v; want nil, %v", c.refs, got, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.bad) {
			t.Errorf("ResolveRefs(%q): %q does not name %s", c.refs, err, c.bad)
		}
	}
	// Every failing REF is reported, not only the first.
	_, err := ResolveRefs([]string{"x:1", "i:T12", "y:2"}, sampleRepos)
	if err == nil || !strings.Contains(err.Error(), `"x:1"`) || !strings.Contains(err.Error(), `"y:2"`) {
		t.Errorf("two bad REFs: %v", err)
	}
}

func TestResolveRefsSkipsNamesOutsideGrammar(t *testing.T) {
	t.Parallel()
	repos := map[string][]string{"i": {"T1", "bad name", ".x"}, "Bad": {"T1"}}
	got, err := ResolveRefs([]string{"*:*"}, repos)
	if err != nil || len(got) != 1 || got[0].String() != "i:T1" {
		t.Errorf("ResolveRefs(*:*) = %v, %v; want only i:T1", got, err)
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"i:T12", "team/*:pr-*", "../a:b", "a:5000/b:c", "i:[", "_x:*", "a/./b:t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		r, tg, err := ParseRef(ref)
		if err != nil {
			if !errors.Is(err, storage.ErrBadName) {
				t.Fatalf("ParseRef(%q): %v does not wrap ErrBadName", ref, err)
			}
			return
		}
		if r+":"+tg != ref {
			t.Fatalf("ParseRef(%q) = %q, %q", ref, r, tg)
		}
		for _, c := range strings.Split(r, "/") {
			if c == "" || c == ".." || c == "." || strings.HasPrefix(c, "_") {
				t.Fatalf("ParseRef(%q) accepted repository component %q", ref, c)
			}
		}
		if strings.Contains(tg, "/") || tg == ".." {
			t.Fatalf("ParseRef(%q) accepted tag %q", ref, tg)
		}
	})
}

func FuzzResolveRefs(f *testing.F) {
	f.Add("i:T?2", "i", "T12")
	f.Add("*:*", "a/b", "v1")
	f.Add("a/*:v[0-9]", "a/b", "v1")
	f.Fuzz(func(t *testing.T, ref, repo, tag string) {
		got, err := ResolveRefs([]string{ref}, map[string][]string{repo: {tag}})
		if err != nil {
			return
		}
		for _, n := range got {
			if storage.ValidRepository(n.Repository) != nil || storage.ValidTag(n.Tag) != nil {
				t.Fatalf("ResolveRefs(%q) returned %v, outside the grammar", ref, n)
			}
		}
	})
}
