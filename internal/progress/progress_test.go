package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

func TestDisabledDoesNothing(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	for _, c := range []struct {
		name        string
		w           io.Writer
		quiet, json bool
	}{
		{"buffer", &buf, false, false},
		{"quiet", &buf, true, false},
		{"json", &buf, false, true},
		{"pipe", pipeWriter(t), false, false},
	} {
		if Enabled(c.w, c.quiet, c.json) {
			t.Errorf("%s: enabled, want disabled", c.name)
		}
		b := Auto(c.w, c.quiet, c.json, "blobs", 10, Items, "blobs")
		if b != nil {
			t.Fatalf("%s: got a bar, want nil", c.name)
		}
		b.Add(3)
		b.AddTotal(2)
		if n, err := b.Writer().Write([]byte("abc")); n != 3 || err != nil {
			t.Errorf("%s: nil bar writer: %d, %v", c.name, n, err)
		}
		b.Done()
	}
	if buf.Len() != 0 {
		t.Errorf("disabled bars wrote %q", buf.String())
	}
}

func pipeWriter(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return w
}

func TestEnabledShowsCountAndRate(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	b := New(&buf, true, "verifying", 1<<20, Bytes, "")
	_, _ = b.Writer().Write(make([]byte, 4096))
	out := buf.String()
	b.Done()
	for _, want := range []string{"verifying", "4.0 KiB", "/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output %q lacks %q", out, want)
		}
	}
	var items bytes.Buffer
	c := New(&items, true, "repositories", 3, Items, "repos")
	c.Add(1)
	out = items.String()
	c.AddTotal(1)
	c.Done()
	for _, want := range []string{"repositories", "1/3", "repos/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("items bar output %q lacks %q", out, want)
		}
	}
}
