package s3proxy

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func deleteBody(keys ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, k := range keys {
		fmt.Fprintf(&b, "<Object><Key>%s</Key></Object>", k)
	}
	b.WriteString("<Quiet>true</Quiet></Delete>")
	return b.String()
}

func TestKeyCounter(t *testing.T) {
	body := deleteBody("a", "b/<Key", "c", "<Key>d") // an escaped key would not hold "<"; here it counts
	want := int64(5)
	for name, r := range map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"bytewise": iotest.OneByteReader,
		"halves":   iotest.HalfReader,
	} {
		k := &keyCounter{ReadCloser: io.NopCloser(strings.NewReader(body))}
		got, err := io.ReadAll(r(k))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != body {
			t.Fatalf("%s: the body changed", name)
		}
		if k.count() != want {
			t.Errorf("%s: %d keys, want %d", name, k.count(), want)
		}
	}
	var none *keyCounter
	if none.count() != 0 {
		t.Fatal("a nil counter counts")
	}
}

// FuzzKeyCounter: read in pieces of any sizes, the body passes unchanged
// and the count is that of the whole body.
func FuzzKeyCounter(f *testing.F) {
	f.Add([]byte(deleteBody("a", "b")), []byte{1, 2, 3})
	f.Add([]byte("<Key><Key><Ke"), []byte{4, 1})
	f.Add([]byte("<<Key>Key>"), []byte{0})
	f.Fuzz(func(t *testing.T, body, sizes []byte) {
		k := &keyCounter{ReadCloser: io.NopCloser(bytes.NewReader(body))}
		var got []byte
		for i := 0; ; i++ {
			n := 1
			if len(sizes) > 0 {
				n = int(sizes[i%len(sizes)])%17 + 1
			}
			buf := make([]byte, n)
			m, err := k.Read(buf)
			got = append(got, buf[:m]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, body) {
			t.Fatal("the body changed")
		}
		if want := int64(bytes.Count(body, keyTag)); k.count() != want {
			t.Fatalf("%d keys, want %d", k.count(), want)
		}
	})
}
