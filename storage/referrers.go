package storage

import "strings"

// Suffixes cosign appends to its referrer tags.
var cosignSuffixes = []string{".sig", ".att", ".sbom"}

// ReferrerSubject reports whether tag follows a subject manifest rather
// than naming an image: the OCI referrers tag schema "sha256-<hex>" and
// cosign's "sha256-<hex>.sig", ".att" and ".sbom". It returns the subject.
func ReferrerSubject(tag string) (Digest, bool) {
	rest, ok := strings.CutPrefix(tag, Algorithm+"-")
	if !ok {
		return Digest{}, false
	}
	for _, s := range cosignSuffixes {
		if h, ok := strings.CutSuffix(rest, s); ok {
			rest = h
			break
		}
	}
	d, err := ParseHex(rest)
	if err != nil {
		return Digest{}, false
	}
	return d, true
}
