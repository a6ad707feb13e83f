package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// DefaultLockStale is how old a lock object must be before another run
// takes it over (--lock-stale).
const DefaultLockStale = 2 * time.Hour

// LockOptions says how to take the lock. Stale and ForceUnlock concern
// the lock object of drivers without file locks (S3 and the like); the
// filesystem lock is a kernel lock that a dead process cannot leave behind.
type LockOptions struct {
	Wait        time.Duration // how long to wait for a held lock (0: fail at once)
	Stale       time.Duration // a lock object not refreshed for this long is abandoned; 0: DefaultLockStale
	ForceUnlock bool          // remove an existing lock object, whatever its age
	Command     string        // recorded in the lock object; "" for os.Args
	Warn        func(string)  // told when a lock object is removed or taken over; may be nil
	// Waiting, when set, is told once, when the lock is found held and
	// Wait lets the run wait for it, whose lock that is: the lock object
	// and the holder it records, or the lock file (flock records none).
	Waiting func(held string)
}

// LockHolder is the content of the lock object: who holds the storage.
type LockHolder struct {
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Started   time.Time `json:"started"`
	Refreshed time.Time `json:"refreshed"`
	Command   string    `json:"command"`
	Token     string    `json:"token"` // random: tells this run's object from another's
}

// String names the holder for humans.
func (h LockHolder) String() string {
	if h.Token == "" {
		return "an unknown holder (unreadable lock object)"
	}
	return fmt.Sprintf("host %s pid %d (%q, started %s)", h.Host, h.PID, h.Command, h.Started.Format(time.RFC3339))
}

// Timing of the lock object; variables so that tests can shorten them.
var (
	lockObjectSettle = 500 * time.Millisecond // between writing the object and reading it back
	lockObjectPoll   = 500 * time.Millisecond // between attempts while waiting
)

// objectLock is a held lock object, refreshed in the background.
type objectLock struct {
	st     *Storage
	holder LockHolder
	every  time.Duration
	stop   context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	lost   error // set when another run replaced or removed the object
}

// lockObject takes the lock object LockPath(): a run refuses while another
// run's object is younger than opts.Stale. Object storage has no atomic
// create-if-absent in distribution's drivers, so the object is written,
// then read back after a pause: of two runs starting together, the one
// whose write landed last wins and the other sees it and backs off.
func (s *Storage) lockObject(ctx context.Context, opts LockOptions) (*Lock, error) {
	if opts.Stale <= 0 {
		opts.Stale = DefaultLockStale
	}
	me, err := newHolder(opts.Command)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(opts.Wait)
	force := opts.ForceUnlock
	for told := false; ; told = true {
		held, err := s.tryLockObject(ctx, me, opts, force)
		force = false // remove at most the object found first
		if err != nil {
			return nil, err
		}
		if held == nil {
			return s.startRefresh(me, opts.Stale), nil
		}
		if time.Now().After(deadline) {
			return nil, s.lockedError(*held, opts)
		}
		if !told && opts.Waiting != nil {
			opts.Waiting(fmt.Sprintf("the lock object %s, held by %s", s.lockName(), held.LockHolder))
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(s.lockedError(*held, opts), ctx.Err())
		case <-time.After(lockObjectPoll):
		}
	}
}

// heldLock is a lock object found held by another run and its age.
type heldLock struct {
	LockHolder
	age time.Duration
}

// tryLockObject makes one attempt. It returns nil when the lock is now
// ours, or the holder that keeps it.
func (s *Storage) tryLockObject(ctx context.Context, me LockHolder, opts LockOptions, force bool) (*heldLock, error) {
	cur, err := s.readLockObject(ctx)
	if err != nil {
		return nil, err
	}
	if cur != nil {
		switch {
		case force:
			warn(opts, fmt.Sprintf("removing the lock object %s of %s (--force-unlock)", s.lockName(), cur.LockHolder))
			if err := s.Delete(ctx, LockPath()); err != nil {
				return nil, fmt.Errorf("remove lock object: %w", err)
			}
		case cur.age < opts.Stale:
			return cur, nil
		default:
			warn(opts, fmt.Sprintf("taking over the stale lock object %s of %s, last refreshed %s ago (--lock-stale %s)",
				s.lockName(), cur.LockHolder, cur.age.Round(time.Second), opts.Stale))
		}
	}
	if err := s.writeLockObject(ctx, me); err != nil {
		return nil, err
	}
	time.Sleep(lockObjectSettle)
	after, err := s.readLockObject(ctx)
	if err != nil {
		return nil, err
	}
	if after == nil || after.Token != me.Token {
		if after == nil { // removed by a --force-unlock in between: try again
			return &heldLock{LockHolder: LockHolder{Host: "?", Command: "a run that removed ours"}}, nil
		}
		return after, nil
	}
	return nil, nil
}

// readLockObject returns the current lock object, nil when there is none.
// An object that cannot be parsed is held by an unknown holder: it still
// locks until it is stale.
func (s *Storage) readLockObject(ctx context.Context) (*heldLock, error) {
	fi, err := s.Stat(ctx, LockPath())
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock object: %w", err)
	}
	b, err := s.Driver.GetContent(ctx, LockPath())
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("lock object: %w", wrapDriver(LockPath(), err))
	}
	h := &heldLock{age: time.Since(fi.ModTime())}
	if err := json.Unmarshal(b, &h.LockHolder); err != nil {
		h.LockHolder = LockHolder{}
	}
	return h, nil
}

func (s *Storage) writeLockObject(ctx context.Context, h LockHolder) error {
	h.Refreshed = time.Now().UTC()
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	if err := s.Driver.PutContent(ctx, LockPath(), append(b, '\n')); err != nil {
		return fmt.Errorf("write lock object: %w", wrapDriver(LockPath(), err))
	}
	return nil
}

func (s *Storage) lockedError(h heldLock, opts LockOptions) error {
	how := "use --lock-timeout to wait"
	if opts.Wait > 0 {
		how = fmt.Sprintf("waited %s", opts.Wait)
	}
	return fmt.Errorf("%w: lock object %s held by %s, refreshed %s ago; it is stale after %s (--lock-stale); "+
		"--force-unlock removes it if that run is dead (%s)",
		ErrLocked, s.lockName(), h.LockHolder, h.age.Round(time.Second), opts.Stale, how)
}

// lockName names the lock object for messages.
func (s *Storage) lockName() string {
	return s.Type + ":" + LockPath()
}

func newHolder(command string) (LockHolder, error) {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	if command == "" {
		command = strings.Join(os.Args, " ")
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return LockHolder{}, fmt.Errorf("lock token: %w", err)
	}
	return LockHolder{Host: host, PID: os.Getpid(), Started: time.Now().UTC().Truncate(time.Second),
		Command: command, Token: hex.EncodeToString(tok)}, nil
}

func warn(opts LockOptions, msg string) {
	if opts.Warn != nil {
		opts.Warn(msg)
	}
}

// startRefresh rewrites the lock object every quarter of the stale age,
// so that a long run is never taken for a dead one.
func (s *Storage) startRefresh(me LockHolder, stale time.Duration) *Lock {
	ctx, stop := context.WithCancel(context.Background())
	o := &objectLock{st: s, holder: me, every: max(stale/4, 100*time.Millisecond), stop: stop, done: make(chan struct{})}
	go o.refresh(ctx)
	return &Lock{Path: s.lockName(), obj: o}
}

func (o *objectLock) refresh(ctx context.Context) {
	defer close(o.done)
	t := time.NewTicker(o.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := o.refreshOnce(ctx); err != nil {
			o.mu.Lock()
			o.lost = err
			o.mu.Unlock()
			return
		}
	}
}

// refreshOnce rewrites the object if it is still ours. A failed write is
// retried at the next tick; an object that is no longer ours ends refreshing.
func (o *objectLock) refreshOnce(ctx context.Context) error {
	cur, err := o.st.readLockObject(ctx)
	if err != nil || ctx.Err() != nil {
		return nil
	}
	if cur == nil || cur.Token != o.holder.Token {
		who := "removed"
		if cur != nil {
			who = "replaced by " + cur.LockHolder.String()
		}
		return fmt.Errorf("%w: lock object %s was %s during this run", ErrLocked, o.st.lockName(), who)
	}
	_ = o.st.writeLockObject(ctx, o.holder)
	return nil
}

// release stops refreshing and removes the object if it is still ours.
func (o *objectLock) release() error {
	o.stop()
	<-o.done
	o.mu.Lock()
	lost := o.lost
	o.mu.Unlock()
	if lost != nil {
		return lost
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cur, err := o.st.readLockObject(ctx)
	if err != nil {
		return err
	}
	if cur == nil || cur.Token != o.holder.Token {
		return fmt.Errorf("%w: lock object %s was taken by another run", ErrLocked, o.st.lockName())
	}
	return o.st.Delete(ctx, LockPath())
}
