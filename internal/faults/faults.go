// Package faults wraps a distribution storage driver for tests: it counts
// the driver calls of each kind and makes chosen calls fail with an I/O
// error, so that a test can break a command at every step it takes.
//
//	d := faults.Wrap(inner)          // counts only
//	d.FailNth(faults.Delete, 3)      // the 3rd Delete fails (1-based)
//	d.FailAll(faults.WriteKinds...)  // every write fails: a read-only storage
//	d.Counts()[faults.Delete]        // how many Deletes were made
//	d.Injected()                     // the faults actually injected, with paths
//
// A failing call does not reach the wrapped driver: nothing is changed by
// it. The error wraps ErrInjected and syscall.EIO and names the kind and
// path, as a real I/O error from the filesystem driver would name the path.
// Counting is safe for concurrent use; with parallel callers, which call
// is the Nth depends on scheduling, but the number of calls does not.
package faults

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"syscall"

	"github.com/docker/distribution/registry/storage/driver"
)

// Kind is one kind of driver call.
type Kind string

// Kinds of driver call. Walk counts calls of Walk; WalkEntry counts the
// entries Walk hands to its callback, so that a walk can fail half-way.
const (
	GetContent Kind = "GetContent"
	PutContent Kind = "PutContent"
	Reader     Kind = "Reader"
	Writer     Kind = "Writer"
	Stat       Kind = "Stat"
	List       Kind = "List"
	Move       Kind = "Move"
	Delete     Kind = "Delete"
	URLFor     Kind = "URLFor"
	Walk       Kind = "Walk"
	WalkEntry  Kind = "WalkEntry"
)

// AllKinds lists every kind, reads first.
var AllKinds = []Kind{GetContent, Reader, Stat, List, Walk, WalkEntry, URLFor, PutContent, Writer, Move, Delete}

// WriteKinds are the calls that change the storage.
var WriteKinds = []Kind{PutContent, Writer, Move, Delete}

// ErrInjected marks every error this package makes up.
var ErrInjected = errors.New("injected fault")

// Injection is one fault that was injected.
type Injection struct {
	Kind Kind
	N    int // the call's number among calls of its kind, from 1
	Path string
}

func (i Injection) String() string { return fmt.Sprintf("%s #%d %s", i.Kind, i.N, i.Path) }

// Driver is a counting, failing storage driver. Its zero value is not
// usable: make one with Wrap.
type Driver struct {
	inner driver.StorageDriver

	mu       sync.Mutex
	counts   map[Kind]int
	failNth  map[Kind]map[int]bool
	failAll  map[Kind]bool
	injected []Injection
}

// Wrap wraps d; until told otherwise it only counts.
func Wrap(d driver.StorageDriver) *Driver {
	return &Driver{
		inner:   d,
		counts:  map[Kind]int{},
		failNth: map[Kind]map[int]bool{},
		failAll: map[Kind]bool{},
	}
}

// FailNth makes the nth call (from 1) of kind k fail. It returns d.
func (d *Driver) FailNth(k Kind, n int) *Driver {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failNth[k] == nil {
		d.failNth[k] = map[int]bool{}
	}
	d.failNth[k][n] = true
	return d
}

// FailAll makes every call of the given kinds fail. It returns d.
func (d *Driver) FailAll(kinds ...Kind) *Driver {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range kinds {
		d.failAll[k] = true
	}
	return d
}

// Counts returns how many calls of each kind were made (failed ones
// included).
func (d *Driver) Counts() map[Kind]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[Kind]int, len(d.counts))
	for k, n := range d.counts {
		out[k] = n
	}
	return out
}

// Injected returns the faults injected so far, in order.
func (d *Driver) Injected() []Injection {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Injection(nil), d.injected...)
}

// String summarizes the counts, for test logs.
func (d *Driver) String() string {
	c := d.Counts()
	kinds := make([]string, 0, len(c))
	for k := range c {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	s := ""
	for _, k := range kinds {
		s += fmt.Sprintf("%s=%d ", k, c[Kind(k)])
	}
	return s
}

// call counts one call of kind k on path p and returns the error to
// inject, or nil to let the call through.
func (d *Driver) call(k Kind, p string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.counts[k]++
	n := d.counts[k]
	if !d.failAll[k] && !d.failNth[k][n] {
		return nil
	}
	d.injected = append(d.injected, Injection{Kind: k, N: n, Path: p})
	return fmt.Errorf("%w: %s %s (call #%d): %w", ErrInjected, k, p, n, syscall.EIO)
}
