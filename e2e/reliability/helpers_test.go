package reliability

import (
	"bytes"
	"context"
	"testing"

	"github.com/regprune/regprune/internal/cli"
)

// result is what one in-process run of regprune printed and returned.
type result struct {
	Stdout, Stderr string
	Code           int
}

// runCLI runs regprune in-process with args (without the program name).
func runCLI(t testing.TB, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), append([]string{"regprune"}, args...), &out, &errb)
	return result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// mustRun runs regprune and fails the test unless it exits with want.
func mustRun(t testing.TB, want int, args ...string) result {
	t.Helper()
	r := runCLI(t, args...)
	if r.Code != want {
		t.Fatalf("regprune %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.Code, want, r.Stdout, r.Stderr)
	}
	return r
}
