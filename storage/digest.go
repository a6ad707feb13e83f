package storage

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Digest is a sha256 content digest held as a fixed-size key, so that sets
// and maps of millions of digests stay compact and compare by value.
// The zero Digest is not a valid digest of anything regprune stores.
type Digest [32]byte

const (
	algorithm    = "sha256"
	digestPrefix = algorithm + ":"
	hexLen       = 64
)

// ParseDigest parses "sha256:<64 lowercase hex>". Any other algorithm, case,
// length or surrounding byte (a newline included) is an error wrapping
// ErrBadDigest, as the registry itself rejects such links.
func ParseDigest(s string) (Digest, error) {
	if !strings.HasPrefix(s, digestPrefix) {
		return Digest{}, fmt.Errorf("%w: %q: want sha256:<64 hex>", ErrBadDigest, clip(s))
	}
	return ParseHex(s[len(digestPrefix):])
}

// ParseHex parses the 64 lowercase hex characters of a sha256 digest, as
// found in directory names of the storage.
func ParseHex(h string) (Digest, error) {
	var d Digest
	if len(h) != hexLen || !isLowerHex(h) {
		return d, fmt.Errorf("%w: %q: want 64 lowercase hex characters", ErrBadDigest, clip(h))
	}
	if _, err := hex.Decode(d[:], []byte(h)); err != nil {
		return d, fmt.Errorf("%w: %q: %v", ErrBadDigest, clip(h), err)
	}
	return d, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Hex is the 64-character lowercase hex form.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// String is the "sha256:<hex>" form used in links and manifests.
func (d Digest) String() string { return digestPrefix + d.Hex() }

// IsZero reports whether d is the zero value.
func (d Digest) IsZero() bool { return d == Digest{} }

// Short is "sha256:" and the first 12 hex characters, for human output.
func (d Digest) Short() string { return digestPrefix + d.Hex()[:12] }

// MarshalText makes Digest print as "sha256:<hex>" in JSON.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "sha256:<hex>".
func (d *Digest) UnmarshalText(b []byte) error {
	p, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
