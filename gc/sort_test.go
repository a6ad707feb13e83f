package gc

import (
	"math/rand"
	"testing"
)

// joinedLess must order exactly as the joined strings do.
func TestJoinedLess(t *testing.T) {
	t.Parallel()
	parts := []string{"", "a", "a/b", "a-b", "a:b", "ab", "b", "team/app", "v1", "v1-rc", "v1.0"}
	rng := rand.New(rand.NewSource(1))
	for range 5000 {
		a1, a2 := parts[rng.Intn(len(parts))], parts[rng.Intn(len(parts))]
		b1, b2 := parts[rng.Intn(len(parts))], parts[rng.Intn(len(parts))]
		for _, sep := range []byte{':', '/'} {
			want := a1+string(sep)+a2 < b1+string(sep)+b2
			if got := joinedLess(a1, sep, a2, b1, b2); got != want {
				t.Fatalf("joinedLess(%q, %q, %q, %q, %q) = %v, want %v", a1, sep, a2, b1, b2, got, want)
			}
		}
	}
}
