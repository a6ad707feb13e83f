package regtest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RegistryVersion is the upstream registry the end-to-end tests run as a
// process (scripts/install-registry.sh installs it).
const RegistryVersion = "v3.1.2"

// ServeOptions shape the registry Serve runs. The zero value serves a new
// t.TempDir() with text logs at level info and no access log.
type ServeOptions struct {
	Root      string // filesystem rootdirectory; "" for a new t.TempDir() (ignored with Driver)
	JSON      bool   // log.formatter json instead of text
	AccessLog bool   // the combined access log on stdout
	Notify    bool   // send notifications to an in-test endpoint (Served.Events)
	// Storage is added under storage: as is, keys at two spaces
	// ("  tag:\n    concurrencylimit: 8\n"); a delete or maintenance key
	// there replaces the default one.
	Storage string
	// Driver replaces the filesystem driver: a driver mapping at two
	// spaces ("  s3:\n    bucket: b\n ..."). Root is then "".
	Driver string
	Env    []string // more environment for the process (REGISTRY_* overrides)
}

// Served is a `registry serve` process of RegistryVersion. Its Registry
// (Host, Root) takes every push, pull and assert helper of this package;
// DeleteTag works on it (3.x deletes tags through the API).
type Served struct {
	*Registry
	Config  string  // the config.yml it runs with
	LogFile string  // everything it wrote on stdout and stderr
	Log     *Output // the same, in memory
	Events  *Events // what it notified; nil without Notify
	cmd     *exec.Cmd
	exited  chan struct{}
}

// RegistryBinary is the registry binary to run: $REGPRUNE_REGISTRY, else
// $HOME/.cache/regprune-registry/registry (scripts/install-registry.sh).
func RegistryBinary() (string, error) {
	if p := os.Getenv("REGPRUNE_REGISTRY"); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(home, ".cache", "regprune-registry", "registry")
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("no registry binary at %s nor in $REGPRUNE_REGISTRY", p)
	}
	return p, nil
}

// registryUnavailable skips t, or fails it under REGPRUNE_REQUIRE_REGISTRY=1
// (CI), saying how to enable the tests.
func registryUnavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("REGPRUNE_REQUIRE_REGISTRY") == "1" {
		t.Fatalf("regtest: registry %s required (REGPRUNE_REQUIRE_REGISTRY=1) but unavailable: %s", RegistryVersion, why)
	}
	t.Skipf("regtest: skipping, registry %s unavailable (%s); run scripts/install-registry.sh to enable", RegistryVersion, why)
}

// Serve starts `registry serve` on a configuration of its own (delete
// enabled, no blob descriptor cache, upload purging off, log level info,
// a free loopback port), waits until it answers /v2/, and stops it when
// the test ends. Without the binary the test is skipped (failed under
// REGPRUNE_REQUIRE_REGISTRY=1).
func Serve(t testing.TB, opts ServeOptions) *Served {
	t.Helper()
	bin, err := RegistryBinary()
	if err != nil {
		registryUnavailable(t, err.Error())
	}
	dir := t.TempDir()
	if opts.Root == "" && opts.Driver == "" {
		opts.Root = t.TempDir()
	}
	s := &Served{Config: filepath.Join(dir, "config.yml"), LogFile: filepath.Join(dir, "registry.log")}
	if opts.Notify {
		s.Events = newEvents(t)
	}
	var last error
	for try := 0; try < 3; try++ { // the free port may be taken before the registry binds it
		if last = s.start(t, bin, opts); last == nil {
			return s
		}
	}
	t.Fatalf("regtest: registry serve: %v\nits output:\n%s", last, s.Log)
	return nil
}

func (s *Served) start(t testing.TB, bin string, opts ServeOptions) error {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.Config, s.config(opts, addr), 0o644); err != nil {
		t.Fatalf("regtest: %v", err)
	}
	f, err := os.Create(s.LogFile)
	if err != nil {
		t.Fatalf("regtest: %v", err)
	}
	s.Log = &Output{file: f}
	s.Registry = &Registry{Root: opts.Root, Host: addr}
	s.cmd = exec.Command(bin, "serve", s.Config)
	// OTEL_TRACES_EXPORTER=none as in the official image: no exporter
	// looking for a collector.
	s.cmd.Env = append(append(os.Environ(), "OTEL_TRACES_EXPORTER=none"), opts.Env...)
	s.cmd.Stdout, s.cmd.Stderr = s.Log, s.Log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the test binary
	if err := s.cmd.Start(); err != nil {
		f.Close()
		registryUnavailable(t, fmt.Sprintf("start %s: %v", bin, err))
	}
	s.exited = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		f.Close()
		close(s.exited)
	}()
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		return err
	}
	t.Cleanup(s.Stop)
	return nil
}

// Stop stops the registry (SIGTERM, then SIGKILL after 5 s) and waits for
// it; the log is complete afterwards. Stopping twice is harmless.
func (s *Served) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// waitReady polls GET /v2/ until it answers 200.
func (s *Served) waitReady(limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("exited (%v)", s.cmd.ProcessState)
		default:
		}
		resp, err := client.Get("http://" + s.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no answer on %s after %s", s.Host, limit)
}

// config is the registry's config.yml for opts, listening on addr.
func (s *Served) config(opts ServeOptions, addr string) []byte {
	var b bytes.Buffer
	formatter := "text"
	if opts.JSON {
		formatter = "json"
	}
	fmt.Fprintf(&b, "version: 0.1\nlog:\n  level: info\n  formatter: %s\n  accesslog:\n    disabled: %t\n",
		formatter, !opts.AccessLog)
	b.WriteString("storage:\n")
	if opts.Driver != "" {
		b.WriteString(strings.TrimRight(opts.Driver, "\n") + "\n")
	} else {
		fmt.Fprintf(&b, "  filesystem:\n    rootdirectory: %s\n", opts.Root)
	}
	if !strings.Contains("\n"+opts.Storage, "\n  delete:") {
		b.WriteString("  delete:\n    enabled: true\n")
	}
	if !strings.Contains("\n"+opts.Storage, "\n  maintenance:") {
		b.WriteString("  maintenance:\n    uploadpurging:\n      enabled: false\n")
	}
	if opts.Storage != "" {
		b.WriteString(strings.TrimRight(opts.Storage, "\n") + "\n")
	}
	fmt.Fprintf(&b, "http:\n  addr: %s\n  secret: regtest\n", addr)
	if s.Events != nil {
		fmt.Fprintf(&b, "notifications:\n  endpoints:\n    - name: regtest\n      url: %s\n"+
			"      timeout: 2s\n      threshold: 5\n      backoff: 100ms\n", s.Events.URL)
	}
	return b.Bytes()
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// RunRegistry runs the registry binary with args (as `registry
// garbage-collect --dry-run config.yml`) and the process environment plus
// env, and returns its output and exit error. Without the binary the test
// is skipped (failed under REGPRUNE_REQUIRE_REGISTRY=1).
func RunRegistry(t testing.TB, env []string, args ...string) (string, error) {
	t.Helper()
	bin, err := RegistryBinary()
	if err != nil {
		registryUnavailable(t, err.Error())
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "OTEL_TRACES_EXPORTER=none"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
