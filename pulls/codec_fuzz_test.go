package pulls

import (
	"bytes"
	"errors"
	"testing"

	"github.com/regprune/regprune/storage"
)

// FuzzDecodeHistory feeds Decode history texts, sealed with a correct
// checksum so that the fuzzer reaches the record checks, and raw bytes.
// Whatever Decode accepts encodes back to the very same text; whatever it
// refuses wraps storage.ErrBadHistory.
func FuzzDecodeHistory(f *testing.F) {
	h := New()
	recordFile(f, h, "testdata/registry-3.1.2-text.log")
	recordFile(f, h, "testdata/registry-3.1.2-notifications.json")
	enc := encode(f, h)
	f.Add(text(f, enc), false)
	f.Add("regprune pull history 1\ncoverage 1 5\ncoverage 7 9\nrepository a\ntag v1 1\n", false)
	f.Add(string(enc), true)
	f.Fuzz(func(t *testing.T, s string, raw bool) {
		in := []byte(s)
		if !raw {
			in = sealed(s)
		}
		got, err := Decode(bytes.NewReader(in), 1<<20)
		if err != nil {
			if !errors.Is(err, storage.ErrBadHistory) || got != nil {
				t.Fatalf("%q: %v, %v; want storage.ErrBadHistory and no history", s, got, err)
			}
			return
		}
		again := text(t, encode(t, got))
		want := text(t, in)
		if again != want {
			t.Fatalf("decoded %q, encodes as %q", want, again)
		}
	})
}
