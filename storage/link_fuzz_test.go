package storage

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseDigest: only the canonical "sha256:<64 lowercase hex>" parses,
// and it prints back to itself; everything else is ErrBadDigest. Seeds in
// testdata/fuzz/FuzzParseDigest.
func FuzzParseDigest(f *testing.F) {
	f.Add("sha256:" + strings.Repeat("ab", 32))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			if !errors.Is(err, ErrBadDigest) || !strings.Contains(err.Error(), "sha256") && !strings.Contains(err.Error(), "hex") {
				t.Fatalf("ParseDigest(%q): error %q is not a useful ErrBadDigest", s, err)
			}
			if strings.HasPrefix(s, "sha256:") {
				if _, herr := ParseHex(s[len("sha256:"):]); herr == nil {
					t.Fatalf("ParseHex accepts what ParseDigest(%q) refuses", s)
				}
			}
			return
		}
		if d.String() != s || d.Hex() != s[7:] || !strings.HasPrefix(s, d.Short()) {
			t.Fatalf("ParseDigest(%q) = %v: not canonical", s, d)
		}
		if h, err := ParseHex(d.Hex()); err != nil || h != d {
			t.Fatalf("ParseHex(%q) = %v, %v; want %v", d.Hex(), h, err, d)
		}
	})
}

// FuzzParseLink: a link file parses exactly when its content is a
// canonical digest (a trailing newline is an error, as in the registry);
// a refusal wraps ErrBadLink and names the link's path. Seeds in
// testdata/fuzz/FuzzParseLink.
func FuzzParseLink(f *testing.F) {
	f.Add([]byte("sha256:" + strings.Repeat("0", 64)))
	const p = "/docker/registry/v2/repositories/r/_manifests/tags/t/current/link"
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseLink(p, b)
		want, derr := ParseDigest(string(b))
		if (err == nil) != (derr == nil) || d != want {
			t.Fatalf("ParseLink(%q) = %v, %v; ParseDigest says %v, %v", b, d, err, want, derr)
		}
		if err != nil && (!errors.Is(err, ErrBadLink) || !errors.Is(err, ErrBadDigest) || !strings.Contains(err.Error(), p)) {
			t.Fatalf("ParseLink(%q): error %q does not wrap ErrBadLink and ErrBadDigest naming the path", b, err)
		}
	})
}
