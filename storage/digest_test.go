package storage

import (
	"crypto/sha256"
	"fmt"
	"math/rand"
	"testing"
)

// Compare must order digests as their hex forms order.
func TestDigestCompare(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(1))
	ds := make([]Digest, 200)
	for i := range ds {
		ds[i] = sha256.Sum256(fmt.Appendf(nil, "%d", rng.Int()))
	}
	ds[1] = ds[0]
	for _, a := range ds {
		for _, b := range ds {
			want := 0
			switch {
			case a.Hex() < b.Hex():
				want = -1
			case a.Hex() > b.Hex():
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Fatalf("%s.Compare(%s) = %d, want %d", a, b, got, want)
			}
		}
	}
}
