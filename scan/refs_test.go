package scan

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/regprune/regprune/storage"
)

func TestParseTagRef(t *testing.T) {
	t.Parallel()
	d := "sha256:" + strings.Repeat("ab", 32)
	good := map[string]TagRef{
		"i:T12":                       {Repository: "i", Tag: "T12"},
		"team/*:pr-*":                 {Repository: "team/*", Tag: "pr-*"},
		"i*:T?2":                      {Repository: "i*", Tag: "T?2"},
		"a/b/c:1.0":                   {Repository: "a/b/c", Tag: "1.0"},
		"i:_private":                  {Repository: "i", Tag: "_private"}, // tags may start with _
		"localhost:5000/x:v1":         {Host: "localhost:5000", Repository: "x", Tag: "v1"},
		"127.0.0.1:5055/myimage:T21":  {Host: "127.0.0.1:5055", Repository: "myimage", Tag: "T21"},
		"localhost/team/app:v1":       {Host: "localhost", Repository: "team/app", Tag: "v1"},
		"registry.example.com/a/*:v*": {Host: "registry.example.com", Repository: "a/*", Tag: "v*"},
		"Registry/app:v1":             {Host: "Registry", Repository: "app", Tag: "v1"},
		"[::1]:5000/app:v1":           {Host: "[::1]:5000", Repository: "app", Tag: "v1"},
		"myimage@" + d:                {Repository: "myimage"},
		"myimage:T21@" + d:            {Repository: "myimage", Tag: "T21"},
		"reg.io:443/team/*:pr-*@" + d: {Host: "reg.io:443", Repository: "team/*", Tag: "pr-*"},
		"*@" + d:                      {Repository: "*"},
		"*.x/app:v1":                  {Repository: "*.x/app", Tag: "v1"}, // a glob, not a host
	}
	for text, want := range good {
		want.Text = text
		if strings.Contains(text, "@") {
			want.Digest, _ = storage.ParseDigest(d)
		}
		got, err := ParseTagRef(text)
		if err != nil || got != want {
			t.Errorf("ParseTagRef(%q) = %+v, %v; want %+v", text, got, err, want)
		}
	}
	bad := []string{
		"i", "i:", ":T1", "localhost:5000/x", "../a:b", "a/../b:t", "/abs:t", "a//b:t", "_x:t", "a/_layers:t",
		"Upper:t", "i:bad tag", "i:.hidden", "i:a/b", "*/..:t", "_*:t", "/*:t", "i:[", "team/[:x", "i:" + strings.Repeat("x", 129),
		"i@sha256:" + strings.Repeat("a", 63), "i@sha512:" + strings.Repeat("a", 128), "i@" + strings.ToUpper(d[7:]), "i:v1@",
		"i@", "@" + d, "i:v1@" + d + "@" + d, "bad_host.io/app:v1", "host.io/:v1", "host.io/x:5/y:t", "a:b:c",
		"localhost:5000/localhost:5000/x:v1", "i@sha256:" + strings.Repeat("0", 64), // the zero digest means no digest
	}
	for _, text := range bad {
		if r, err := ParseTagRef(text); !errors.Is(err, storage.ErrBadName) {
			t.Errorf("ParseTagRef(%q) = %+v, %v; want ErrBadName", text, r, err)
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

// resolve parses and resolves refs by name.
func resolve(refs []string, repos map[string][]string) ([]RefMatch, error) {
	parsed, err := ParseTagRefs(refs)
	if err != nil {
		return nil, err
	}
	return ResolveRefs(parsed, repos)
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
		{[]string{"127.0.0.1:5055/i:T21", "localhost/team/web:main"}, []string{"i:T21", "team/web:main"}},
		{[]string{"team/web@sha256:" + strings.Repeat("1", 64)}, []string{"team/web:main", "team/web:pr-3"}}, // every tag, by name
		{[]string{"docker.io/library/nginx:1"}, []string{"library/nginx:1"}},                                 // docker's reading
		{[]string{"mirror.io/x/web:main"}, []string{"mirror.io/x/web:main"}},                                 // the only reading naming something
		{[]string{"localhost/mirror.io/team/web:main"}, []string{"mirror.io/team/web:main"}},                 // one host dropped, the rest as is
	}
	repos := maps.Clone(sampleRepos)
	repos["library/nginx"] = []string{"1"}
	repos["mirror.io/x/web"] = []string{"main"}
	repos["mirror.io/team/web"] = []string{"main"}
	for _, c := range cases {
		got, err := resolve(c.refs, repos)
		if err != nil {
			t.Errorf("ResolveRefs(%q): %v", c.refs, err)
			continue
		}
		var s []string
		for _, n := range MatchedTags(got) {
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
		{[]string{"empty@sha256:" + strings.Repeat("1", 64)}, storage.ErrNotFound, "no tag in repository empty"},
		{[]string{"team:v1"}, storage.ErrNotFound, `"team:v1"`}, // a directory, not a repository
		{[]string{"i:T9*"}, storage.ErrNoMatch, `"i:T9*"`},
		{[]string{"z*:T1"}, storage.ErrNoMatch, `"z*:T1"`},
		{[]string{"team/*:nope-*"}, storage.ErrNoMatch, "team/app, team/web"},
		{[]string{"i:T12", "../i:T12"}, storage.ErrBadName, `"../i:T12"`},
		{[]string{"i"}, storage.ErrBadName, `"i"`},
		{[]string{"reg.io/x:1"}, storage.ErrNotFound, `no repository "x"`},
		// Both readings name a repository: ambiguous, a usage error saying how to write each.
		{[]string{"docker.io/library/nginx:1"}, storage.ErrUsage, `write "library/nginx:1" for the first`},
	}
	repos := maps.Clone(sampleRepos)
	repos["docker.io/library/nginx"] = []string{"1"}
	repos["library/nginx"] = []string{"1"}
	for _, c := range cases {
		got, err := resolve(c.refs, repos)
		if !errors.Is(err, c.want) || got != nil {
			t.Errorf("ResolveRefs(%q) = %v, %v; want nil, %v", c.refs, got, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.bad) {
			t.Errorf("ResolveRefs(%q): %q does not name %s", c.refs, err, c.bad)
		}
	}
	if _, err := resolve([]string{"localhost/docker.io/library/nginx:1"}, repos); err != nil {
		t.Errorf("the way out of the ambiguity: %v", err)
	}
	// Every failing REF is reported, not only the first.
	_, err := resolve([]string{"x:1", "i:T12", "y:2"}, sampleRepos)
	if err == nil || !strings.Contains(err.Error(), `"x:1"`) || !strings.Contains(err.Error(), `"y:2"`) {
		t.Errorf("two bad REFs: %v", err)
	}
}

func TestResolveRefsSkipsNamesOutsideGrammar(t *testing.T) {
	t.Parallel()
	repos := map[string][]string{"i": {"T1", "bad name", ".x"}, "Bad": {"T1"}}
	got, err := resolve([]string{"*:*"}, repos)
	if names := MatchedTags(got); err != nil || len(names) != 1 || names[0].String() != "i:T1" {
		t.Errorf("ResolveRefs(*:*) = %v, %v; want only i:T1", names, err)
	}
}

// TestSelectTags: a REF with a digest keeps the tags pointing at it; a
// literal tag with a digest that moved is refused, naming both digests.
func TestSelectTags(t *testing.T) {
	t.Parallel()
	a, _ := storage.ParseDigest("sha256:" + strings.Repeat("a", 64))
	b, _ := storage.ParseDigest("sha256:" + strings.Repeat("b", 64))
	read := map[TagName]storage.Tag{}
	for tag, d := range map[string]storage.Digest{"T11": a, "T12": b, "T13": b, "T21": a} {
		read[TagName{"i", tag}] = storage.Tag{Repository: "i", Name: tag, Digest: d}
	}
	read[TagName{"i", "T22"}] = storage.Tag{Repository: "i", Name: "T22", LinkErr: storage.ErrBadLink}
	repos := map[string][]string{"i": {"T11", "T12", "T13", "T21", "T22"}}
	sel := func(refs ...string) ([]string, error) {
		m, err := resolve(refs, repos)
		if err != nil {
			return nil, err
		}
		tags, err := SelectTags(m, read)
		var out []string
		for _, t := range tags {
			out = append(out, t.Ref())
		}
		return out, err
	}
	for _, c := range []struct {
		refs []string
		want []string
	}{
		{[]string{"i@" + b.String()}, []string{"i:T12", "i:T13"}},
		{[]string{"localhost:5000/i@" + a.String()}, []string{"i:T11", "i:T21"}},
		{[]string{"i:T1?@" + a.String()}, []string{"i:T11"}},
		{[]string{"i:T12@" + b.String(), "i:T22"}, []string{"i:T12", "i:T22"}},
		{[]string{"i:*"}, []string{"i:T11", "i:T12", "i:T13", "i:T21", "i:T22"}},
	} {
		got, err := sel(c.refs...)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SelectTags(%q) = %q, %v; want %q", c.refs, got, err, c.want)
		}
	}
	for _, c := range []struct {
		refs  []string
		want  error
		names []string
	}{
		{[]string{"i:T11@" + b.String()}, storage.ErrTagMoved, []string{"i:T11", a.String(), b.String()}},
		{[]string{"i:T22@" + b.String()}, storage.ErrTagMoved, []string{"i:T22", "no valid current link"}},
		{[]string{"i:T12@" + b.String(), "i:T21@" + b.String()}, storage.ErrTagMoved, []string{"i:T21"}},
		{[]string{"i:T2?@" + b.String()}, storage.ErrNotFound, []string{`"i:T2?"`, b.String()}},
	} {
		got, err := sel(c.refs...)
		if !errors.Is(err, c.want) || got != nil {
			t.Errorf("SelectTags(%q) = %q, %v; want nothing, %v", c.refs, got, err, c.want)
			continue
		}
		for _, n := range c.names {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("SelectTags(%q): %q does not name %s", c.refs, err, n)
			}
		}
	}
}

func FuzzParseTagRef(f *testing.F) {
	for _, s := range []string{"i:T12", "team/*:pr-*", "../a:b", "a:5000/b:c", "i:[", "_x:*", "a/./b:t",
		"localhost/app@sha256:" + strings.Repeat("0", 64), "localhost/app@sha256:" + strings.Repeat("1", 64), "[::1]:5000/a:b", "a:b@sha256:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := ParseTagRef(text)
		if err != nil {
			if !errors.Is(err, storage.ErrBadName) {
				t.Fatalf("ParseTagRef(%q): %v does not wrap ErrBadName", text, err)
			}
			return
		}
		back := r.Repository
		if r.Host != "" {
			back = r.Host + "/" + back
		}
		if r.Tag != "" {
			back += ":" + r.Tag
		}
		if !r.Digest.IsZero() {
			back += "@" + r.Digest.String()
		}
		if back != text || r.Text != text || r.Tag == "" && r.Digest.IsZero() {
			t.Fatalf("ParseTagRef(%q) = %+v", text, r)
		}
		for _, c := range strings.Split(r.Repository, "/") {
			if c == "" || c == ".." || c == "." || strings.HasPrefix(c, "_") || strings.Contains(c, ":") {
				t.Fatalf("ParseTagRef(%q) accepted repository component %q", text, c)
			}
		}
		if strings.Contains(r.Tag, "/") || r.Tag == ".." {
			t.Fatalf("ParseTagRef(%q) accepted tag %q", text, r.Tag)
		}
	})
}

func FuzzResolveRefs(f *testing.F) {
	f.Add("i:T?2", "i", "T12")
	f.Add("*:*", "a/b", "v1")
	f.Add("a/*:v[0-9]", "a/b", "v1")
	f.Fuzz(func(t *testing.T, ref, repo, tag string) {
		got, err := resolve([]string{ref}, map[string][]string{repo: {tag}})
		if err != nil {
			return
		}
		for _, n := range MatchedTags(got) {
			if storage.ValidRepository(n.Repository) != nil || storage.ValidTag(n.Tag) != nil {
				t.Fatalf("ResolveRefs(%q) returned %v, outside the grammar", ref, n)
			}
		}
	})
}
