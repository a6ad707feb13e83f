package regtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// StockConfig is a registry config.yml as an image ships it.
type StockConfig struct {
	Name string // which image, or which example
	Path string // where the image has it
	Data []byte
}

// Where the images keep their configuration: registry:2 and distribution
// 2.8's own image in /etc/docker/registry, registry:3 and distribution
// 3.x's image in /etc/distribution.
const (
	ConfigPath2 = "/etc/docker/registry/config.yml"
	ConfigPath3 = "/etc/distribution/config.yml"
)

// The modules the stock configurations come from.
const (
	module2 = "github.com/docker/distribution@v2.8.3+incompatible"
	module3 = "github.com/distribution/distribution/v3@" + RegistryVersion
)

// StockConfigs returns the configuration files of the registry images,
// read from distribution's own Go modules (fetched through the module
// proxy when not cached; without them the test is skipped, or fails under
// REGPRUNE_REQUIRE_REGISTRY=1):
//
//   - "registry:2": the Docker official image (docker-library's
//     distribution-library-image, 2.8.x) ships distribution 2.8.3's
//     cmd/registry/config-example.yml without its auth section;
//   - "registry:3": the official 3.x image ships 3.1.2's
//     cmd/registry/config-dev.yml without its maintenance and http.headers
//     sections, with tag.concurrencylimit 5;
//   - "distribution 2.8.3 image", "distribution 3.1.2 image": distribution's
//     own images ship cmd/registry/config-dev.yml;
//   - the other cmd/registry/config-*.yml of both versions (examples).
//
// The two official images' files are checked against their SHA-256 (of
// distribution-library-image at 2.8.2 and at 3.0.0), so the derivation
// cannot drift from what the images hold.
func StockConfigs(t testing.TB) []StockConfig {
	t.Helper()
	example2 := ModuleFile(t, module2, "cmd/registry/config-example.yml")
	dev3 := ModuleFile(t, module3, "cmd/registry/config-dev.yml")
	official2 := removeBlock(t, example2, "auth:")
	official3 := removeBlock(t, removeBlock(t, dev3, "    maintenance:"), "    headers:")
	official3 = bytes.Replace(official3, []byte("concurrencylimit: 8\n"), []byte("concurrencylimit: 5\n"), 1)
	checkSum(t, "registry:2", official2, "284ad50c46d3b93ed1cb204ff5a2581a2600b86806a45135f2f1130bc813d0fb")
	checkSum(t, "registry:3", official3, "6b1f91acca97fdfb8e3d74df04cc154bc973fc920ab0782599e4321a53460ab0")
	return []StockConfig{
		{"registry:2", ConfigPath2, official2},
		{"registry:3", ConfigPath3, official3},
		{"distribution 2.8.3 image", ConfigPath2, ModuleFile(t, module2, "cmd/registry/config-dev.yml")},
		{"distribution " + RegistryVersion + " image", ConfigPath3, dev3},
		{"2.8.3 config-example.yml", ConfigPath2, example2},
		{"2.8.3 config-cache.yml", ConfigPath2, ModuleFile(t, module2, "cmd/registry/config-cache.yml")},
		{RegistryVersion + " config-example.yml", ConfigPath3, ModuleFile(t, module3, "cmd/registry/config-example.yml")},
		{RegistryVersion + " config-cache.yml", ConfigPath3, ModuleFile(t, module3, "cmd/registry/config-cache.yml")},
	}
}

// removeBlock removes the line header and the lines indented deeper that
// follow it.
func removeBlock(t testing.TB, data []byte, header string) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(data), "\n")
	indent := len(header) - len(strings.TrimLeft(header, " "))
	var out strings.Builder
	found, in := false, false
	for _, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		switch {
		case strings.TrimRight(l, "\n") == header:
			found, in = true, true
		case in && trimmed != "" && len(l)-len(trimmed) > indent:
		default:
			in = false
			out.WriteString(l)
		}
	}
	if !found {
		t.Fatalf("regtest: stock config: no %q block", header)
	}
	return []byte(out.String())
}

func checkSum(t testing.TB, name string, data []byte, want string) {
	t.Helper()
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("regtest: the %s config derived from distribution's module has SHA-256 %s, want %s (the image's file):\n%s",
			name, got, want, data)
	}
}

// ModuleFile returns file of Go module modVersion ("path@version"), from
// the module cache, downloading it through the module proxy when needed.
func ModuleFile(t testing.TB, modVersion, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ModuleDir(t, modVersion), filepath.FromSlash(file)))
	if err != nil {
		t.Fatalf("regtest: %s: %v", modVersion, err)
	}
	return b
}

// ModuleDir is the module cache directory of modVersion.
func ModuleDir(t testing.TB, modVersion string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", modVersion)
	cmd.Dir = t.TempDir() // outside this module: its go.mod plays no part
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); err != nil || jerr != nil || info.Dir == "" {
		registryUnavailable(t, "go mod download "+modVersion+": "+strings.TrimSpace(info.Error+" "+errText(err)))
	}
	return info.Dir
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Error() + ": " + string(ee.Stderr)
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
