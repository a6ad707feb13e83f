package storage

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

// parse is parseConfig of a YAML text with env entries.
func parse(yml string, env ...string) (*registryConfig, error) {
	return parseConfig([]byte(yml), env)
}

const fsConfig = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /srv/registry\n"

func TestConfigSettingsAreNotDrivers(t *testing.T) {
	t.Parallel()
	yml := `version: 0.1
log: {level: info, formatter: json, accesslog: {disabled: true}}
storage:
  filesystem:
    rootdirectory: /srv/registry
    maxthreads: 50
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory, blobdescriptorsize: 10000}
  maintenance: {uploadpurging: {enabled: false}, readonly: {enabled: false}}
  redirect: {disable: true}
  tag: {concurrencylimit: 8}
http: {addr: ":5000"}
`
	cfg, err := parse(yml, "REGISTRY_STORAGE_TAG_CONCURRENCYLIMIT=4", "REGISTRY_STORAGE_CACHE_BLOBDESCRIPTORSIZE=5000")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"rootdirectory": "/srv/registry", "maxthreads": 50}
	if cfg.Driver != "filesystem" || !reflect.DeepEqual(cfg.Params, want) {
		t.Errorf("got %s %v, want filesystem %v", cfg.Driver, cfg.Params, want)
	}
}

// TestConfigEnv: the REGISTRY_STORAGE* overrides, as the registry applies
// them.
func TestConfigEnv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		yml    string
		env    []string
		driver string
		params map[string]any
	}{
		{"param replaced", fsConfig, []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/other"},
			"filesystem", map[string]any{"rootdirectory": "/other"}},
		{"param added, YAML-typed", fsConfig, []string{"REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS=30"},
			"filesystem", map[string]any{"rootdirectory": "/srv/registry", "maxthreads": 30}},
		{"driver's parameters replaced", fsConfig, []string{"REGISTRY_STORAGE_FILESYSTEM={rootdirectory: /x}"},
			"filesystem", map[string]any{"rootdirectory": "/x"}},
		{"section replaced, then its parameters set (lexical order)", fsConfig,
			[]string{"REGISTRY_STORAGE_S3_REGION=eu-west-1", "REGISTRY_STORAGE_S3_BUCKET=b", "REGISTRY_STORAGE=s3"},
			"s3", map[string]any{"region": "eu-west-1", "bucket": "b"}},
		{"section replaced by a mapping", fsConfig,
			[]string{"REGISTRY_STORAGE={filesystem: {rootdirectory: /m}, tag: {concurrencylimit: 2}}"},
			"filesystem", map[string]any{"rootdirectory": "/m"}},
		{"settings through the environment", fsConfig,
			[]string{"REGISTRY_STORAGE_TAG_CONCURRENCYLIMIT=8", "REGISTRY_STORAGE_CACHE_BLOBDESCRIPTORSIZE=10000",
				"REGISTRY_STORAGE_DELETE_ENABLED=true", "REGISTRY_STORAGE_REDIRECT_DISABLE=true",
				"REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_ENABLED=false"},
			"filesystem", map[string]any{"rootdirectory": "/srv/registry"}},
		{"no storage in the file", "version: 0.1\n", []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/e"},
			"filesystem", map[string]any{"rootdirectory": "/e"}},
		{"empty driver in the file", "version: 0.1\nstorage:\n  filesystem:\n",
			[]string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/e"},
			"filesystem", map[string]any{"rootdirectory": "/e"}},
		{"matched case-insensitively", "version: 0.1\nstorage:\n  filesystem:\n    rootDirectory: /a\n",
			[]string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/b"},
			"filesystem", map[string]any{"rootDirectory": "/a", "rootdirectory": "/b"}},
		{"not upper-case, or not storage: ignored", fsConfig,
			[]string{"REGISTRY_storage_filesystem_rootdirectory=/no", "REGISTRY_STORAGEX=s3", "XREGISTRY_STORAGE=s3",
				"REGISTRY_HTTP_ADDR=:1", "REGISTRY_LOG_LEVEL=bogus"},
			"filesystem", map[string]any{"rootdirectory": "/srv/registry"}},
		{"bare driver name", "version: 0.1\nstorage: filesystem\n", nil,
			"filesystem", map[string]any{"rootdirectory": DefaultRoot}},
		{"s3aws", "version: 0.1\nstorage:\n  s3aws: {region: us-east-1, bucket: b}\n", nil,
			"s3aws", map[string]any{"region": "us-east-1", "bucket": "b"}},
	}
	for _, c := range cases {
		cfg, err := parse(c.yml, c.env...)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if cfg.Driver != c.driver || !reflect.DeepEqual(cfg.Params, c.params) {
			t.Errorf("%s: got %s %#v, want %s %#v", c.name, cfg.Driver, cfg.Params, c.driver, c.params)
		}
	}
}

// TestConfigErrors: each refusal names the culprit.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yml  string
		env  []string
		want []string // in the message
	}{
		{"empty file", "  \n", nil, []string{"empty"}},
		{"not YAML", "::: {", nil, []string{"not a registry configuration"}},
		{"a list", "- a\n- b\n", nil, []string{"not a registry configuration"}},
		{"no version", "storage: filesystem\n", nil, []string{"version", `"0.1"`}},
		{"other version", "version: 0.2\nstorage: filesystem\n", nil, []string{"version", `"0.2"`}},
		{"no storage", "version: 0.1\nlog: {level: info}\n", nil, []string{"no storage driver", "filesystem, s3"}},
		{"only settings", "version: 0.1\nstorage:\n  delete: {enabled: true}\n  tag: {concurrencylimit: 1}\n", nil,
			[]string{"no storage driver"}},
		{"storage a list", "version: 0.1\nstorage: [filesystem]\n", nil, []string{"storage: want a mapping", "cannot unmarshal !!seq into map"}},
		{"parameters not a mapping", "version: 0.1\nstorage:\n  filesystem: /var/lib/registry\n", nil,
			[]string{"storage: want a mapping"}},
		{"two drivers", "version: 0.1\nstorage:\n  filesystem: {}\n  s3: {bucket: b}\n", nil,
			[]string{"more than one storage driver: storage.filesystem, storage.s3;"}},
		{"unknown key is a driver", "version: 0.1\nstorage:\n  filesystem: {}\n  tags: {concurrencylimit: 1}\n", nil,
			[]string{"more than one storage driver: storage.filesystem, storage.tags;"}},
		{"settings are case-sensitive", "version: 0.1\nstorage:\n  filesystem: {}\n  Delete: {enabled: true}\n", nil,
			[]string{"more than one storage driver: storage.Delete, storage.filesystem;"}},
		{"env adds a second driver", fsConfig, []string{"REGISTRY_STORAGE_S3_REGION=us-east-1"},
			[]string{"more than one storage driver: storage.filesystem, storage.s3 (from $REGISTRY_STORAGE_S3_REGION);"}},
		{"env replaces, then adds the file's driver back", fsConfig,
			[]string{"REGISTRY_STORAGE=s3", "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/r"},
			[]string{"more than one storage driver: storage.filesystem (from $REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY), storage.s3 (from $REGISTRY_STORAGE);"}},
		{"env empties the section", fsConfig, []string{"REGISTRY_STORAGE="}, []string{"no storage driver"}},
		{"env value not YAML", fsConfig, []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=[/x"},
			[]string{"environment variable REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"}},
		{"env parameters not a mapping", fsConfig, []string{"REGISTRY_STORAGE_FILESYSTEM=/x"},
			[]string{"environment variable REGISTRY_STORAGE_FILESYSTEM"}},
		{"unsupported driver", "version: 0.1\nstorage:\n  azure: {accountname: a}\n", nil,
			[]string{`storage.azure: the "azure" storage driver: regprune opens filesystem, s3 (or s3aws) storage only`}},
		{"unsupported driver from env", fsConfig, []string{"REGISTRY_STORAGE=gcs"},
			[]string{`storage.gcs (from $REGISTRY_STORAGE): the "gcs" storage driver`, "filesystem, s3 (or s3aws)"}},
		{"unknown driver", "version: 0.1\nstorage:\n  filesytem: {rootdirectory: /r}\n", nil,
			[]string{`storage.filesytem: "filesytem" is neither a storage driver`, "filesystem, s3 (or s3aws)"}},
		{"relative root", "version: 0.1\nstorage:\n  filesystem: {rootdirectory: data}\n", nil,
			[]string{`storage.filesystem.rootdirectory "data" is relative`}},
		{"empty root from env", fsConfig, []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="},
			[]string{"storage.filesystem.rootdirectory (from $REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY) is empty"}},
		{"v2 signatures on AWS", "version: 0.1\nstorage:\n  s3: {region: us-east-1, bucket: b, v4auth: false, usedualstack: true}\n", nil,
			[]string{"v4 authentication"}},
	}
	for _, c := range cases {
		_, err := parse(c.yml, c.env...)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", c.name, err, w)
			}
		}
	}
}

// TestConfigFile: the file is named in every error; what is not a
// regular file is refused without blocking on it.
func TestConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	regtest.WriteFile(t, bad, []byte("version: 0.1\nstorage:\n  filesystem: {}\n  s3: {}\n"))
	if _, err := readConfig(bad, nil); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), bad) {
		t.Errorf("two drivers: %v, want ErrConfig naming %s", err, bad)
	}
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readConfig(fifo, nil); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO: %v, want ErrConfig: not a regular file", err)
	}
	big := filepath.Join(dir, "big.yml")
	regtest.WriteFile(t, big, []byte(fsConfig+"#"+strings.Repeat("x", maxConfigSize)+"\n"))
	if _, err := readConfig(big, nil); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge file: %v, want ErrConfig: larger than", err)
	}
	if _, err := readConfig(filepath.Join(dir, "missing.yml"), nil); !errors.Is(err, ErrConfig) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrConfig and ErrNotExist", err)
	}
	// A Kubernetes ConfigMap mount: the file is a symlink.
	link := filepath.Join(dir, "config.yml")
	good := filepath.Join(dir, "..data.yml")
	regtest.WriteFile(t, good, []byte(fsConfig))
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	if cfg, err := readConfig(link, nil); err != nil || cfg.Params["rootdirectory"] != "/srv/registry" {
		t.Errorf("symlinked config: %v, %v", cfg, err)
	}
}
