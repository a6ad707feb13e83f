package storage

import (
	"bytes"
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
// found in directory names of the storage. All zeros is refused.
func ParseHex(h string) (Digest, error) {
	var d Digest
	if len(h) != hexLen {
		return d, fmt.Errorf("%w: %q: want 64 lowercase hex characters", ErrBadDigest, clip(h))
	}
	for i := range d {
		hi, ok1 := fromHex(h[2*i])
		lo, ok2 := fromHex(h[2*i+1])
		if !ok1 || !ok2 {
			return Digest{}, fmt.Errorf("%w: %q: want 64 lowercase hex characters", ErrBadDigest, clip(h))
		}
		d[i] = hi<<4 | lo
	}
	if d.IsZero() {
		// No content hashes to all zeros; the zero Digest means "none"
		// throughout regprune, so a link or name holding it is malformed
		// (a tag naming it is refused, never silently skipped).
		return Digest{}, fmt.Errorf("%w: %q: the all-zero sha256 hex names no content", ErrBadDigest, clip(h))
	}
	return d, nil
}

// fromHex is the value of one lowercase hex digit.
func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Hex is the 64-character lowercase hex form.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// Compare orders digests as their hex forms order, without building them:
// -1, 0 or +1 (for sorting millions of digests without an allocation per
// comparison).
func (d Digest) Compare(e Digest) int { return bytes.Compare(d[:], e[:]) }

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
