package retention

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update rewrites golden files instead of comparing: go test ./retention -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// assertGolden compares got with the file testdata/<name>, or writes it
// with -update.
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./retention -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the result (go test ./retention -update rewrites it):\n--- want\n%s\n--- got\n%s", p, want, got)
	}
}
