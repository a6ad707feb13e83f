package s3

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

// mustRun runs regprune in-process with args (without the program name)
// and fails the test unless it exits with want.
func mustRun(t testing.TB, want int, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), append([]string{"regprune"}, args...), &out, &errb)
	if code != want {
		t.Fatalf("regprune %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, out.String(), errb.String())
	}
	return result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}
