//go:build linux

package storage

import (
	"regexp"
	"testing"
)

var uploadIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// FuzzValidUploadID: the hand-written check accepts what the pattern of
// the registry's upload ids (UUID v4 or v7, lowercase) accepts.
func FuzzValidUploadID(f *testing.F) {
	for _, s := range []string{hUpload, "0190f7a2-5b1c-7d3e-8f4a-1b2c3d4e5f60", "0B5C1A8E-3F4D-4E2A-9C1B-7D6E5F4A3B2C",
		"0b5c1a8e-3f4d-1e2a-9c1b-7d6e5f4a3b2c", "../../../../etc", "", "0b5c1a8e3f4d4e2a9c1b7d6e5f4a3b2c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidUploadID(s), uploadIDPattern.MatchString(s); got != want {
			t.Fatalf("ValidUploadID(%q) = %v, pattern says %v", s, got, want)
		}
	})
}
