package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigNotesAtDebugLevel: what regprune changed in a registry 3.x
// configuration to open it (here: an s3 regionendpoint without region)
// shows at --log-level debug, and only there. The endpoint refuses
// connections: the storage is never reached, the note comes first.
func TestConfigNotesAtDebugLevel(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "config.yml")
	yml := "version: 0.1\nstorage:\n  s3:\n    bucket: b\n    accesskey: a\n    secretkey: s\n" +
		"    regionendpoint: http://127.0.0.1:1\n"
	if err := os.WriteFile(cfg, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	note := "registry configuration: s3: no region next to regionendpoint"
	res := mustRun(t, 1, "--config", cfg, "--log-level", "debug", "check")
	if !strings.Contains(res.Stderr, note) || !strings.Contains(res.Stderr, "level=DEBUG") {
		t.Errorf("--log-level debug does not show the config note:\n%s", res.Stderr)
	}
	res = mustRun(t, 1, "check", "--config", cfg)
	if strings.Contains(res.Stderr, note) {
		t.Errorf("the config note shows at the default log level:\n%s", res.Stderr)
	}
	if strings.Contains(res.Stderr, "neither --root nor --config") {
		t.Errorf("a storage named by --config gets the hint for defaults:\n%s", res.Stderr)
	}
}

// TestNoRegistryFoundByDefault: with no flag, a default root that holds no
// registry is refused with a message saying how to name the storage. The
// variable the registry reads stands in for the default root (tests cannot
// create /var/lib/registry).
func TestNoRegistryFoundByDefault(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", dir)
	t.Setenv("REGPRUNE_ROOT", "")
	os.Unsetenv("REGPRUNE_ROOT")
	res := mustRun(t, 1, "tag", "ls")
	for _, want := range []string{dir, "neither --root nor --config was given", "give --root DIR", "--config FILE"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, res.Stderr)
		}
	}
	if res.Stdout != "" {
		t.Errorf("stdout:\n%s", res.Stdout)
	}
}
