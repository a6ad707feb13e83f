package scan

import (
	"strings"

	"github.com/regprune/regprune/storage"
)

// Suffixes cosign appends to its referrer tags.
var cosignSuffixes = []string{".sig", ".att", ".sbom"}

// ReferrerSubject reports whether tag follows a subject manifest rather
// than naming an image: the OCI referrers tag schema "sha256-<hex>" and
// cosign's "sha256-<hex>.sig", ".att" and ".sbom". It returns the subject.
func ReferrerSubject(tag string) (storage.Digest, bool) {
	rest, ok := strings.CutPrefix(tag, storage.Algorithm+"-")
	if !ok {
		return storage.Digest{}, false
	}
	for _, s := range cosignSuffixes {
		if h, ok := strings.CutSuffix(rest, s); ok {
			rest = h
			break
		}
	}
	d, err := storage.ParseHex(rest)
	if err != nil {
		return storage.Digest{}, false
	}
	return d, true
}
