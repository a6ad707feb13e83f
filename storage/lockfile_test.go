//go:build linux

package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// The lock file is never followed nor created through a link: a link
// (dangling or not), a named pipe or a directory in its place is refused
// at once with an error naming it and the fix, and nothing is created
// where the link points.
func TestLockFileRefusesOddEntries(t *testing.T) {
	t.Parallel()
	h := newHostile(t, false)
	lock := h.abs(LockPath())
	created := filepath.Join(h.canary, "nologin")
	cases := map[string]func(){
		"dangling symbolic link": func() { mustSymlink(t, created, lock) },
		"symbolic link":          func() { mustSymlink(t, filepath.Join(h.canary, "secret"), lock) },
		"named pipe":             func() { mkfifo(t, h, LockPath()) },
		"directory":              func() { mustMkdir(t, lock) },
	}
	for name, mk := range cases {
		_ = os.RemoveAll(lock)
		mk()
		var err error
		done(t, "Lock on a "+name, func() { _, err = h.st.Lock(context.Background(), 0) })
		if err == nil || errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), lock) {
			t.Errorf("%s: Lock = %v; want an error naming %s", name, err, lock)
		} else if name != "directory" && !strings.Contains(err.Error(), "rm "+lock) {
			t.Errorf("%s: Lock = %v; want the fix (rm)", name, err)
		}
	}
	regtest.AssertMissing(t, created)
	h.unchanged()
}

// lockUserEnv names the root the helper process locks; lockUmaskEnv, when
// set, its umask first.
const (
	lockUserEnv  = "REGPRUNE_TEST_LOCK_AS_USER"
	lockUmaskEnv = "REGPRUNE_TEST_LOCK_UMASK"
)

// TestLockAsUserProcess is the child process of TestLockAfterRootRun, not
// a test: it takes the lock of the root in its environment, prints
// "locked" or the error, and exits. Run normally, it returns at once.
func TestLockAsUserProcess(t *testing.T) {
	root := os.Getenv(lockUserEnv)
	if root == "" {
		return
	}
	if os.Getenv(lockUmaskEnv) != "" {
		syscall.Umask(0o077)
	}
	st, err := Open(context.Background(), Location{Root: root, How: "--root"})
	if err == nil {
		var lk *Lock
		if lk, err = st.Lock(context.Background(), 0); err == nil {
			err = lk.Unlock()
		}
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("locked")
	os.Exit(0)
}

// A run as root creates the lock file 0644 whatever its umask; a later
// run as the registry's user can still take the lock (read-only: flock
// needs no write access); one that cannot open the file at all says which
// file and what to do.
func TestLockAfterRootRun(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run a child as another user")
	}
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "storage.test")
	copyFile(t, os.Args[0], bin)
	root := filepath.Join(dir, "root")
	mustMkdir(t, filepath.Join(root, "docker", "registry", "v2", "repositories"))
	lockAs := func(uid uint32, umask bool) string {
		cmd := exec.Command(bin, "-test.run=^TestLockAsUserProcess$")
		cmd.Env = append(os.Environ(), lockUserEnv+"="+root)
		if umask {
			cmd.Env = append(cmd.Env, lockUmaskEnv+"=1")
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, _ := cmd.CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	if out := lockAs(0, true); out != "locked" {
		t.Fatalf("as root: %s", out)
	}
	lock := filepath.Join(root, filepath.FromSlash(LockPath()))
	if fi, err := os.Stat(lock); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("lock file after a root run with umask 077: %v, %v; want mode 0644", fi.Mode(), err)
	}
	if out := lockAs(65534, false); out != "locked" {
		t.Errorf("as nobody after a root run: %s", out)
	}
	if err := os.Chmod(lock, 0o600); err != nil {
		t.Fatal(err)
	}
	out := lockAs(65534, false)
	if !strings.Contains(out, "cannot open the lock file "+lock) || !strings.Contains(out, "chmod a+r "+lock) {
		t.Errorf("as nobody, lock file 0600: %q; want the file named and the fix", out)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
