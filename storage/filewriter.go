package storage

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// fileWriter is the driver.FileWriter of the filesystem driver: an open
// regular file, synced on Commit, removed on Cancel.
type fileWriter struct {
	f         *os.File
	size      int64
	cancel    func() error
	closed    bool
	committed bool
	cancelled bool
}

var errWriterClosed = errors.New("writer already closed")

func (w *fileWriter) Write(p []byte) (int, error) {
	if w.closed || w.committed || w.cancelled {
		return 0, errWriterClosed
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	return n, err
}

func (w *fileWriter) Size() int64 { return w.size }

func (w *fileWriter) Close() error {
	if w.closed {
		return errWriterClosed
	}
	w.closed = true
	return w.f.Close()
}

func (w *fileWriter) Cancel() error {
	if w.closed {
		return errWriterClosed
	}
	w.cancelled = true
	w.f.Close()
	w.closed = true
	return w.cancel()
}

func (w *fileWriter) Commit() error {
	if w.closed || w.committed || w.cancelled {
		return errWriterClosed
	}
	w.committed = true
	return w.f.Sync()
}

// timeOf is a stat time as a time.Time.
func timeOf(ts unix.Timespec) time.Time { return time.Unix(ts.Sec, ts.Nsec) }
