package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/storage"
)

// A tag link found empty or cut short is read again until the registry
// has written it whole; one that stays so, or holds anything else, is a
// bad link.
func TestReadLinkSettled(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d := storage.Digest{1, 2, 3}
	file := func(tag string) string {
		return filepath.Join(root, strings.TrimPrefix(storage.TagCurrentLinkPath("app", tag), "/"))
	}
	write := func(tag, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(file(tag)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file(tag), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("empty", "")
	write("short", d.String()[:20])
	write("garbage", "not a link")
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Location{Root: root, How: "test"})
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan struct{})
	go func() { // the push finishes writing "empty" a little later
		defer close(done)
		time.Sleep(30 * time.Millisecond)
		if err := os.WriteFile(file("empty"), []byte(d.String()), 0o644); err != nil {
			t.Error(err)
		}
	}()
	if got, err := readLinkSettled(ctx, st, storage.TagCurrentLinkPath("app", "empty")); err != nil || got != d {
		t.Errorf("a link written while read: %v, %v; want %v", got, err, d)
	}
	<-done
	start := time.Now()
	_, err = readLinkSettled(ctx, st, storage.TagCurrentLinkPath("app", "short"))
	if !errors.Is(err, storage.ErrBadLink) || !errors.Is(err, storage.ErrLinkIncomplete) || time.Since(start) < 500*time.Millisecond {
		t.Errorf("a link that stays cut short: %v after %v; want a bad, incomplete link after the wait", err, time.Since(start))
	}
	start = time.Now()
	_, err = readLinkSettled(ctx, st, storage.TagCurrentLinkPath("app", "garbage"))
	if !errors.Is(err, storage.ErrBadLink) || errors.Is(err, storage.ErrLinkIncomplete) || time.Since(start) > 200*time.Millisecond {
		t.Errorf("a link holding something else: %v after %v; want a bad link at once", err, time.Since(start))
	}
}
