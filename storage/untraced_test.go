package storage

import (
	"testing"

	"github.com/docker/distribution/registry/storage/driver"
)

// FuzzValidPath: the hand-written check accepts exactly what
// distribution's PathRegexp accepts.
func FuzzValidPath(f *testing.F) {
	for _, s := range []string{"/", "", "/a", "/a/", "//a", "/a//b", "/docker/registry/v2/blobs/sha256/ab/x/data",
		"/a/b c", "/a/../b", "/é", "/_layers/sha256-x.sig", "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := validPath(p), driver.PathRegexp.MatchString(p); got != want {
			t.Errorf("validPath(%q) = %v, PathRegexp says %v", p, got, want)
		}
	})
}
