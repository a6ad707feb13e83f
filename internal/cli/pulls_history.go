package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/regprune/regprune/pulls"
	"github.com/regprune/regprune/storage"
)

// The pull history is one state file (storage.WriteState: atomic, one PUT
// on object storage) next to the lock, so that it lives with the storage.
const (
	historyName = "pull-history.gz"
	// historyFileLimit bounds the file read (compressed); a history of a
	// million tags, each pulled by tag and by digest, is 53 MB.
	historyFileLimit = 512 << 20
	// historyTextLimit bounds it uncompressed (about 120 MB a million tags).
	historyTextLimit = 4 << 30
	// clockSkew is how far in the future a log line may be and still be
	// read (another host's clock): later ones are skipped, never covered.
	clockSkew = 5 * time.Minute
	// coverageSlack is the longest gap in the history's coverage taken as
	// covered: between rotated logs recorded one by one, and between the
	// last recorded log and now (hourly recording).
	coverageSlack = time.Hour
)

// historyPath is the history's file below the storage root, as messages
// name it.
func historyPath() string { return strings.TrimPrefix(storage.StateFilePath(historyName), "/") }

// storedHistory is the pull history as stored: nil when none is recorded.
type storedHistory struct {
	h    *pulls.History
	data []byte // the file's bytes
}

// loadHistory reads the stored pull history; none recorded is no error (h
// nil). One that cannot be read or decoded is an error wrapping
// storage.ErrBadHistory that names the file and says how to start over:
// it is never taken for "nothing was pulled".
func loadHistory(ctx context.Context, st *storage.Storage) (storedHistory, error) {
	data, err := st.ReadState(ctx, historyName, historyFileLimit)
	if errors.Is(err, storage.ErrNotFound) {
		return storedHistory{}, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return storedHistory{}, err
		}
		return storedHistory{}, historyError(fmt.Errorf("%w: %w", storage.ErrBadHistory, err))
	}
	h, err := pulls.Decode(bytes.NewReader(data), historyTextLimit)
	if err != nil {
		return storedHistory{}, historyError(err)
	}
	return storedHistory{h: h, data: data}, nil
}

func historyError(err error) error {
	return fmt.Errorf("pull history %s: %w (it is not read as \"nothing pulled\"; to start a new history from "+
		"logs, losing the pulls it holds: regprune pulls record --reset LOG...)", historyPath(), err)
}

// encodeHistory is the history's file content.
func encodeHistory(h *pulls.History) ([]byte, error) {
	var b bytes.Buffer
	if err := h.Encode(&b); err != nil {
		return nil, fmt.Errorf("pull history: %w", err)
	}
	return b.Bytes(), nil
}

// logInput is what was read of one log given on the command line.
type logInput struct {
	Name  string
	Stats pulls.Stats
}

// readLogs reads each log (a file, or "-" for stdin) into h: its pulls,
// and its coverage as an input of its own (so that a gap between two
// rotated files stays a gap). A log that cannot be opened or read is an
// error naming it; nothing of any log counts then.
func readLogs(ctx context.Context, names []string, stdin io.Reader, now time.Time, h *pulls.History) ([]logInput, error) {
	opts := pulls.Options{NotAfter: now.Add(clockSkew)}
	out := make([]logInput, 0, len(names))
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st, err := readLog(name, stdin, opts, h)
		if err != nil {
			return nil, err
		}
		out = append(out, logInput{Name: logName(name), Stats: st})
	}
	return out, nil
}

func readLog(name string, stdin io.Reader, opts pulls.Options, h *pulls.History) (pulls.Stats, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return pulls.Stats{}, fmt.Errorf("%w: %w", storage.ErrBadLog, err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			return pulls.Stats{}, fmt.Errorf("%w: %s is a directory", storage.ErrBadLog, name)
		}
		r = f
	}
	st, err := pulls.Read(r, opts, h.Add)
	if err != nil {
		return st, fmt.Errorf("log %s: %w (after %d lines)", logName(name), err, st.Lines)
	}
	h.Cover(st.Covered...)
	return st, nil
}

func logName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// checkLogNames refuses no logs, an empty name, and stdin twice.
func checkLogNames(flag string, names []string) error {
	stdin := 0
	for _, n := range names {
		switch {
		case n == "":
			return usagef("%s: an empty file name", flag)
		case n == "-":
			stdin++
		}
	}
	if stdin > 1 {
		return usagef("%s: - (stdin) given %d times; it can be read once", flag, stdin)
	}
	return nil
}

// logWarnings says why a log proves no coverage, or is empty.
func logWarnings(in logInput) []string {
	var w []string
	switch s := in.Stats; {
	case s.Lines == 0:
		w = append(w, "empty")
	case s.Fragmented:
		w = append(w, "its times fall into too many pieces to prove coverage: its pulls count, its silence proves nothing")
	case s.Success == 0:
		w = append(w, "records no successful request (log level above info and access log off?): "+
			"its pulls count, its silence proves nothing")
	case s.First.IsZero():
		w = append(w, "no line has a time: it covers nothing")
	}
	return w
}
