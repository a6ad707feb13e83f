// Package minio starts a real MinIO server on 127.0.0.1 for tests of
// regprune on S3, with a temporary data directory, and creates buckets in
// it.
//
//	s := minio.Start(t)          // skips t when MinIO cannot be found or started
//	bucket := s.NewBucket(t)     // an empty bucket of its own
//	s.Params(bucket)             // distribution's s3 driver parameters for it
//	s.WriteConfig(t, dir, bucket) // a registry config.yml using it, for --config
//
// The server binary is found as $REGPRUNE_MINIO, then minio on $PATH, then
// $HOME/.cache/regprune-minio/minio (where scripts/install-minio.sh puts it),
// then $GOPATH/bin/minio. When it cannot be found or started, the test is
// skipped with the reason; with REGPRUNE_REQUIRE_S3=1 (CI sets it) it fails
// instead, so that CI never passes by skipping.
package minio

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Credentials and region of every server started here.
const (
	AccessKey = "regprune"
	SecretKey = "regprune-secret"
	Region    = "us-east-1"
)

// Server is a running MinIO.
type Server struct {
	Endpoint string // http://127.0.0.1:port
	cmd      *exec.Cmd
	log      *syncBuffer
	bucketMu sync.Mutex
}

// Binary returns the MinIO binary to use, or why there is none.
func Binary() (string, error) {
	if p := os.Getenv("REGPRUNE_MINIO"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	var tried []string
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "regprune-minio", "minio")
		tried = append(tried, p)
		if isExecutable(p) {
			return p, nil
		}
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "minio")
		tried = append(tried, p)
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no MinIO binary: not in $REGPRUNE_MINIO, not on $PATH, not at %s; "+
		"install it with scripts/install-minio.sh", strings.Join(tried, " nor "))
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Start starts MinIO for the test and stops it when the test ends. When
// MinIO is missing or does not start, t is skipped (failed under
// REGPRUNE_REQUIRE_S3=1) with the reason.
func Start(t testing.TB) *Server {
	t.Helper()
	// With AWS_CA_BUNDLE set, every aws-sdk-go session (each s3 driver and
	// client made here) rewrites the transport of the shared
	// http.DefaultClient: a data race between parallel tests. MinIO is
	// served over plain http here, so the bundle is never needed.
	os.Unsetenv("AWS_CA_BUNDLE")
	bin, err := Binary()
	if err != nil {
		unavailable(t, err)
	}
	s, err := start(t, bin)
	if err != nil {
		unavailable(t, err)
	}
	return s
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("REGPRUNE_REQUIRE_S3") == "1" {
		t.Fatalf("minio: S3 tests required (REGPRUNE_REQUIRE_S3=1) but MinIO is unavailable: %v", err)
	}
	t.Skipf("minio: skipping the S3 tests: %v", err)
}

func start(t testing.TB, bin string) (*Server, error) {
	dir := t.TempDir()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	console, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: "http://" + addr, log: &syncBuffer{}}
	s.cmd = exec.Command(bin, "server", "--quiet", "--address", addr, "--console-address", console,
		"--certs-dir", filepath.Join(dir, "certs"), filepath.Join(dir, "data"))
	s.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_REGION="+Region)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the test binary
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-exited
	})
	if err := s.waitReady(exited, 90*time.Second); err != nil {
		return nil, fmt.Errorf("%s server %s: %w; its output:\n%s", bin, addr, err, s.log.String())
	}
	return s, nil
}

// waitReady polls MinIO's liveness endpoint.
func (s *Server) waitReady(exited <-chan error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		default:
		}
		resp, err := client.Get(s.Endpoint + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s", limit)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// syncBuffer collects the server's output for error messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 64<<10 {
		return len(p), nil
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
