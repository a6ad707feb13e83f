package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/distribution/configuration"
)

// parse28 is what registry 2.8's own configuration package makes of data
// and the process environment: the driver and its parameters, or why not
// (it panics on two drivers after the environment).
func parse28(data []byte) (typ string, params map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	cfg, err := configuration.Parse(strings.NewReader(string(data)))
	if err != nil {
		return "", nil, err
	}
	return cfg.Storage.Type(), cfg.Storage.Parameters(), nil
}

// agreesWith28 checks regprune's reading of data against registry 2.8's,
// where 2.8 accepts it: the same driver, and the same parameters but for
// what regprune changes on purpose (the filesystem default root, a
// cleaned root; s3 parameters of 3.x). What 2.8 refuses may still be a
// valid 3.x configuration, so it is not compared.
func agreesWith28(t *testing.T, data []byte) {
	t.Helper()
	typ, old, err := parse28(data)
	if err != nil || (typ != "filesystem" && typ != "s3" && typ != "s3aws") {
		return
	}
	cfg, err := parseConfig(data, os.Environ())
	if typ == "filesystem" && err != nil && strings.Contains(err.Error(), "rootdirectory") {
		return // relative or empty: refused by regprune alone, on purpose
	}
	if err != nil {
		t.Fatalf("2.8 reads %s %v, regprune refuses: %v\n%s", typ, old, err, data)
	}
	if cfg.Driver != typ {
		t.Fatalf("2.8 reads driver %s, regprune %s\n%s", typ, cfg.Driver, data)
	}
	want := map[string]any{}
	for k, v := range old {
		want[k] = v
	}
	if typ == "filesystem" {
		want["rootdirectory"] = DefaultRoot
		if v, ok := old["rootdirectory"]; ok {
			want["rootdirectory"] = filepath.Clean(fmt.Sprint(v))
		}
	} else {
		for _, k := range []string{"forcepathstyle", "usedualstack", "usefipsendpoint", "accelerate", "loglevel",
			"redirectendpoint", "region", "regionendpoint", "storageclass", "chunksize", "multipartcopychunksize",
			"multipartcopymaxconcurrency", "multipartcopythresholdsize"} {
			delete(want, k)
		}
		got := cfg.Params
		cfg = &registryConfig{Params: map[string]any{}}
		for k, v := range got {
			if _, ok := old[k]; ok {
				cfg.Params[k] = v
			}
		}
		for k := range cfg.Params {
			if _, ok := want[k]; !ok {
				delete(cfg.Params, k)
			}
		}
	}
	if !reflect.DeepEqual(cfg.Params, want) {
		t.Fatalf("parameters: 2.8 %#v, regprune %#v\n%s", want, cfg.Params, data)
	}
}

// TestConfigAgreesWith28 compares the environment overrides with registry
// 2.8's own parser. Not parallel: it sets the environment.
func TestConfigAgreesWith28(t *testing.T) {
	cases := []struct {
		yml string
		env []string
	}{
		{fsConfig, []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/other/"}},
		{fsConfig, []string{"REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS=30"}},
		{fsConfig, []string{"REGISTRY_STORAGE_FILESYSTEM={rootdirectory: /x, maxthreads: 40}"}},
		{fsConfig, []string{"REGISTRY_STORAGE_S3_REGION=eu-west-1", "REGISTRY_STORAGE_S3_BUCKET=b", "REGISTRY_STORAGE=s3"}},
		{fsConfig, []string{"REGISTRY_STORAGE={s3aws: {region: us-east-1, bucket: b}, delete: {enabled: true}}"}},
		{fsConfig, []string{"REGISTRY_STORAGE_DELETE_ENABLED=true", "REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_ENABLED=false",
			"REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR=inmemory", "REGISTRY_STORAGE_REDIRECT_DISABLE=true"}},
		{"version: 0.1\n", []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/e"}},
		{"version: 0.1\nstorage:\n  filesystem:\n", []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/e"}},
		{"version: 0.1\nstorage:\n  filesystem: {rootDirectory: /a}\n", []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/b"}},
		{"version: 0.1\nstorage:\n  FileSystem: {rootdirectory: /a}\n", []string{"REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS=50"}},
		{"version: 0.1\nstorage:\n  s3: {region: us-east-1, bucket: b, secure: true}\n",
			[]string{"REGISTRY_STORAGE_S3_SECURE=no", "REGISTRY_STORAGE_S3_V4AUTH=\"false\"", "REGISTRY_STORAGE_S3_ROOTDIRECTORY=/p",
				"REGISTRY_storage_s3_bucket=ignored", "REGISTRY_STORAGE_S3_NESTED_KEY=1"}},
		{"version: 0.1\nstorage:\n  s3: {region: us-east-1, bucket: b, extra: {a: 1}}\n", []string{"REGISTRY_STORAGE_S3_EXTRA_A=2"}},
		{"version: 0.1\nstorage: filesystem\n", []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/f"}},
	}
	for _, c := range cases {
		setEnv(t, c.env)
		if typ, _, err := parse28([]byte(c.yml)); err != nil || typ == "" {
			t.Errorf("2.8 refuses %q with %q: %v (the case compares nothing)", c.yml, c.env, err)
		}
		agreesWith28(t, []byte(c.yml))
		for _, e := range c.env {
			k, _, _ := strings.Cut(e, "=")
			os.Unsetenv(k)
		}
	}
}

// FuzzParseConfig: any file is read without panic; what regprune accepts
// is a driver it opens with parameters it can use; and where registry
// 2.8 reads a filesystem or s3 configuration, regprune reads the same.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		fsConfig,
		"version: 0.1\nstorage: filesystem\n",
		"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /r\n  tag:\n    concurrencylimit: 8\n",
		"version: 0.1\nstorage:\n  filesystem: {}\n  s3: {}\n",
		"version: 0.1\nstorage:\n  s3:\n    bucket: b\n    region: us-east-1\n    regionendpoint: http://h:9000\n" +
			"    forcepathstyle: true\n    loglevel: debug\n    storageclass: GLACIER_IR\n    chunksize: 6000000x\n",
		"version: 0.1\nstorage:\n  s3aws: {bucket: b, region: eu-west-1, usedualstack: \"true\", usefipsendpoint: 1}\n",
		"version: 0.1\nstorage:\n  filesystem: {rootdirectory: ~}\n  delete: {enabled: true}\n  cache: {blobdescriptor: inmemory}\n",
		"version: 0.1\nstorage:\n  azure: {accountname: a}\n",
		"version: 0.1\nlog: 5\nstorage: {filesystem: {rootdirectory: /x/../y}}\n",
		"version: \"0.1\"\nstorage: [a]\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig(data, os.Environ())
		if err == nil {
			switch cfg.Driver {
			case "filesystem":
				if r, ok := cfg.Params["rootdirectory"].(string); !ok || !filepath.IsAbs(r) {
					t.Fatalf("filesystem root %#v accepted\n%s", cfg.Params["rootdirectory"], data)
				}
			case "s3", "s3aws":
				for _, k := range s3Only {
					if _, ok := cfg.Params[k]; ok {
						t.Fatalf("3.x parameter %s left for 2.8's driver\n%s", k, data)
					}
				}
			default:
				t.Fatalf("driver %q accepted\n%s", cfg.Driver, data)
			}
		}
		agreesWith28(t, data)
	})
}
