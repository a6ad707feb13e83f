package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lockHolderEnv names the root the helper process locks.
const lockHolderEnv = "REGPRUNE_TEST_STORAGE_LOCK_HOLDER"

// TestLockHolderProcess is the second process of the lock tests, not a
// test: run as a child (see holdLock), it takes the storage lock through
// Storage.Lock, says "locked" and holds the lock until its stdin closes.
// Run normally, it returns at once.
func TestLockHolderProcess(t *testing.T) {
	root := os.Getenv(lockHolderEnv)
	if root == "" {
		return
	}
	st, err := Open(context.Background(), Location{Root: root, How: "--root"})
	if err == nil {
		var lk *Lock
		if lk, err = st.Lock(context.Background(), 0); err == nil {
			fmt.Println("locked")
			_, _ = io.Copy(io.Discard, os.Stdin)
			err = lk.Unlock()
		}
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	os.Exit(0)
}

// holder is the child process holding the lock of a root.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// holdLock starts the child process and returns once it holds the lock.
func holdLock(t *testing.T, root string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderProcess$")
	cmd.Env = append(os.Environ(), lockHolderEnv+"="+root)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin}
	t.Cleanup(func() { _ = h.cmd.Process.Kill(); _ = h.cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("lock holder process: %q, %v", line, err)
	}
	return h
}

func TestLockSecondProcess(t *testing.T) {
	t.Parallel()
	root := newRoot(t)
	st, err := Open(context.Background(), Location{Root: root, How: "--root"})
	if err != nil {
		t.Fatal(err)
	}
	lockFile := filepath.Join(root, "docker", "registry", "v2", ".regprune.lock")
	h := holdLock(t, root)

	_, err = st.Lock(context.Background(), 0)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), lockFile) || !strings.Contains(err.Error(), "--lock-timeout") {
		t.Fatalf("Lock(0) while held: %v; want ErrLocked naming %s", err, lockFile)
	}
	start := time.Now()
	_, err = st.Lock(context.Background(), 300*time.Millisecond)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "waited 300ms") || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("Lock(300ms) while held: %v after %s; want ErrLocked after waiting", err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err = st.Lock(ctx, time.Minute)
	cancel()
	if !errors.Is(err, ErrLocked) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock with a cancelled context: %v", err)
	}

	// --lock-timeout waits for the holder to finish.
	time.AfterFunc(300*time.Millisecond, func() { _ = h.stdin.Close() })
	lk, err := st.Lock(context.Background(), 20*time.Second)
	if err != nil {
		t.Fatalf("Lock(20s) after the holder released: %v", err)
	}
	if err := lk.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("holder: %v", err)
	}
}

// TestLockKilledHolder: a killed process leaves no lock behind.
func TestLockKilledHolder(t *testing.T) {
	t.Parallel()
	root := newRoot(t)
	st, err := Open(context.Background(), Location{Root: root, How: "--root"})
	if err != nil {
		t.Fatal(err)
	}
	h := holdLock(t, root)
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = h.cmd.Wait()
	lk, err := st.Lock(context.Background(), 0)
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	_ = lk.Unlock()
	// The lock file stays; a new holder can take it again.
	if _, err := os.Stat(filepath.Join(root, "docker", "registry", "v2", ".regprune.lock")); err != nil {
		t.Error(err)
	}
	holdLock(t, root)
}
