// Package progress shows how far a long phase (listing, marking, sweeping,
// verifying digests) has come: a count or a byte total and the rate, on a
// terminal only. It wraps github.com/schollz/progressbar/v3.
//
// A nil *Bar is valid and does nothing, so callers never test whether
// progress is shown: New returns nil when stderr is not a terminal or the
// user asked for --json or --quiet.
package progress

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar is one progress display. Its methods are safe from many goroutines.
type Bar struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

// Unit says what a bar counts.
type Unit int

// Units a bar can count.
const (
	Items Unit = iota // a count of things: repositories, blobs, tags
	Bytes             // bytes, shown in human units with a byte rate
)

// Enabled reports whether progress should be shown on w: w is a terminal
// and neither --json nor --quiet is in effect.
func Enabled(w io.Writer, quiet, json bool) bool {
	if quiet || json {
		return false
	}
	return IsTerminal(w)
}

// IsTerminal reports whether w is a file attached to a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New starts a bar on w counting up to total (total < 0: unknown, shown as
// a spinner with the count and rate). It returns nil, a bar that does
// nothing, unless enabled.
func New(w io.Writer, enabled bool, description string, total int64, unit Unit, items string) *Bar {
	if !enabled {
		return nil
	}
	return &Bar{bar: progressbar.NewOptions64(total, options(w, description, unit, items)...)}
}

// Auto is New with enabled decided by Enabled(w, quiet, json).
func Auto(w io.Writer, quiet, json bool, description string, total int64, unit Unit, items string) *Bar {
	return New(w, Enabled(w, quiet, json), description, total, unit, items)
}

func options(w io.Writer, description string, unit Unit, items string) []progressbar.Option {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
	}
	if unit == Bytes {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionUseIECUnits(true))
	} else if items != "" {
		opts = append(opts, progressbar.OptionSetItsString(items))
	}
	return opts
}

// Add counts n more items or bytes.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.bar.Add64(n) // a display error must not fail the work
}

// AddTotal raises the total by n, for work discovered as it goes.
func (b *Bar) AddTotal(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bar.AddMax64(n)
}

// Done clears the bar from the terminal.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.bar.Finish()
	_ = b.bar.Clear()
}

// Writer wraps w so that every byte written through it is counted, for
// streaming reads and hashes: io.Copy(hash, io.TeeReader(r, bar.Writer())).
func (b *Bar) Writer() io.Writer {
	if b == nil {
		return io.Discard
	}
	return countWriter{b}
}

type countWriter struct{ b *Bar }

func (c countWriter) Write(p []byte) (int, error) {
	c.b.Add(int64(len(p)))
	return len(p), nil
}
