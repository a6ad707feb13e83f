package retention

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// specRegexp is the regular expression semver.org suggests for a version
// (without the "v" regprune also accepts).
var specRegexp = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

func TestParseSemver(t *testing.T) {
	for _, tc := range []struct {
		tag, want string // want: String(), or "" when not a version
	}{
		{"1.2.3", "1.2.3"},
		{"v1.2.3", "1.2.3"},
		{"0.0.0", "0.0.0"},
		{"1.2.3-rc.1", "1.2.3-rc.1"},
		{"v1.0.0-alpha.beta-2.0", "1.0.0-alpha.beta-2.0"},
		{"1.25.3-alpine", "1.25.3-alpine"},
		{"1.2.3-0a", "1.2.3-0a"},
		{"1.2.3+build.01", "1.2.3+build.01"},
		{"1.2.3-rc.1+exp.sha.5114f85", "1.2.3-rc.1+exp.sha.5114f85"},
		{"123456789012345678901234567890.0.1", "123456789012345678901234567890.0.1"},
		{"1.2", ""},
		{"v1", ""},
		{"latest", ""},
		{"1.2.3.4", ""},
		{"01.2.3", ""},
		{"1.02.3", ""},
		{"1.2.3-01", ""},
		{"1.2.3-", ""},
		{"1.2.3-rc..1", ""},
		{"1.2.3-rc_1", ""},
		{"1.2.3+", ""},
		{"V1.2.3", ""},
		{"vv1.2.3", ""},
		{"v", ""},
		{"1.2.-3", ""},
		{"sha256-0123.sig", ""},
	} {
		v, ok := ParseSemver(tc.tag)
		got := ""
		if ok {
			got = v.String()
		}
		if got != tc.want {
			t.Errorf("ParseSemver(%q) = %q %v, want %q", tc.tag, got, ok, tc.want)
		}
	}
}

// The order of semver.org's item 11, shuffled and sorted back.
func TestSemverOrder(t *testing.T) {
	want := []string{"0.9.9", "1.0.0-0.3.7", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0", "1.11.0", "2.0.0", "2.1.0", "2.1.1",
		"10.0.0-rc.1", "10.0.0", "99999999999999999999.0.0"}
	r := rand.New(rand.NewPCG(1, 1))
	for range 20 {
		got := slices.Clone(want)
		r.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		slices.SortFunc(got, func(a, b string) int {
			va, _ := ParseSemver(a)
			vb, _ := ParseSemver(b)
			return va.Compare(vb)
		})
		if !slices.Equal(got, want) {
			t.Fatalf("sorted %v\nwant   %v", got, want)
		}
	}
	a, _ := ParseSemver("1.0.0+a")
	b, _ := ParseSemver("v1.0.0+b")
	if a.Compare(b) != 0 {
		t.Errorf("build metadata and the v prefix count in the order")
	}
}

func TestKeepSemver(t *testing.T) {
	tags := []string{"latest", "1.9.0", "v2.0.0", "2.0.0", "2.0.0-rc.1", "1.10.0", "1.25", "main-3f2a1c9", "2.1.0-alpha", "0.1.0"}
	got := KeepSemver(tags, 3)
	var lines []string
	for i, v := range got {
		mark := "remove"
		if v.Keep {
			mark = "keep"
		}
		lines = append(lines, tags[i]+": "+mark+", "+v.Reason)
	}
	want := []string{
		"latest: remove, not a semantic version",
		"1.9.0: remove, below the 3 highest versions",
		"v2.0.0: keep, among the 3 highest versions",
		"2.0.0: keep, among the 3 highest versions",
		"2.0.0-rc.1: keep, among the 3 highest versions",
		"1.10.0: remove, below the 3 highest versions",
		"1.25: remove, not a semantic version",
		"main-3f2a1c9: remove, not a semantic version",
		"2.1.0-alpha: keep, among the 3 highest versions",
		"0.1.0: remove, below the 3 highest versions",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if v := KeepSemver([]string{"1.0.0", "2.0.0"}, 1); v[0].Keep || !v[1].Keep || v[1].Reason != "the highest version" || v[0].Reason != "below the highest version" {
		t.Errorf("n=1: %+v", v)
	}
	for _, v := range KeepSemver([]string{"1.0.0", "x"}, 0) {
		if v.Keep {
			t.Errorf("n=0 keeps %+v", v)
		}
	}
}

// FuzzSemver checks ParseSemver against the specification's regular
// expression, and Compare's order: antisymmetric, reflexive, blind to
// build metadata and the v prefix.
func FuzzSemver(f *testing.F) {
	f.Add("v1.2.3-rc.1+b", "1.2.3-rc.01")
	f.Add("1.0.0-alpha.1", "1.0.0-alpha.beta")
	f.Add("0.0.0-0", "00.0.0")
	f.Fuzz(func(t *testing.T, a, b string) {
		va, oka := ParseSemver(a)
		m := specRegexp.FindStringSubmatch(strings.TrimPrefix(a, "v"))
		if oka != (m != nil) {
			t.Fatalf("%q: ParseSemver %v, the specification's expression %v", a, oka, m != nil)
		}
		if !oka {
			return
		}
		if va.Major != m[1] || va.Minor != m[2] || va.Patch != m[3] || strings.Join(va.Pre, ".") != m[4] || va.Build != m[5] {
			t.Fatalf("%q: %+v, the specification's expression %q", a, va, m[1:])
		}
		if again, ok := ParseSemver(va.String()); !ok || again.Compare(va) != 0 || again.String() != va.String() {
			t.Fatalf("%q: String %q reads back as %+v %v", a, va.String(), again, ok)
		}
		if va.Compare(va) != 0 {
			t.Fatalf("%q: not equal to itself", a)
		}
		vb, okb := ParseSemver(b)
		if !okb {
			return
		}
		if c, d := va.Compare(vb), vb.Compare(va); c != -d || c < -1 || c > 1 {
			t.Fatalf("%q vs %q: %d, and %d the other way", a, b, c, d)
		}
		noBuild := va
		noBuild.Build = ""
		if noBuild.Compare(va) != 0 {
			t.Fatalf("%q: build metadata counts", a)
		}
	})
}
