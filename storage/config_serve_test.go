package storage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/minio"
	"github.com/regprune/regprune/internal/regtest"
)

// TestServeAndOpenV3Config: the configuration with every 3.x storage key
// (in the file and through the environment) runs a real `registry serve`
// of 3.x, and regprune opens the very file, with the same environment,
// on the storage that registry wrote: on the filesystem and on S3 with
// 3.x s3 parameters. Not parallel: it sets the environment.
func TestServeAndOpenV3Config(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, s *regtest.Served, env []string, typ string) {
		t.Helper()
		img := s.PushImage(t, "team/app:v1")
		s.AssertWhole(t, "team/app:v1")
		setEnv(t, env)
		st, err := Open(ctx, Location{Config: s.Config, How: "--config"})
		if err != nil {
			t.Fatalf("registry serve runs %s, regprune refuses it: %v", s.Config, err)
		}
		if st.Type != typ || st.LocalRoot != s.Root {
			t.Fatalf("opened %s storage at %q, want %s at %q", st.Type, st.LocalRoot, typ, s.Root)
		}
		repos, err := st.Repositories(ctx, 4)
		if err != nil || len(repos) != 1 || repos[0] != "team/app" {
			t.Fatalf("Repositories = %v, %v; want [team/app]", repos, err)
		}
		d, err := ParseDigest(regtest.DigestOf(t, img).String())
		if err != nil {
			t.Fatal(err)
		}
		tagged, err := st.ReadLink(ctx, TagCurrentLinkPath("team/app", "v1"))
		if err != nil || tagged != d {
			t.Fatalf("tag v1 as regprune reads it: %v, %v; want %v", tagged, err, d)
		}
	}
	t.Run("filesystem", func(t *testing.T) {
		s := regtest.Serve(t, regtest.ServeOptions{Storage: v3Storage, Env: v3StorageEnv})
		check(t, s, v3StorageEnv, "filesystem")
	})
	t.Run("s3", func(t *testing.T) {
		srv := minio.Start(t)
		// 3.x signs for region "<nil>" when none is given; this MinIO
		// checks the region.
		env := append(append([]string{"REGISTRY_STORAGE_S3_REGION=" + minio.Region}, v3StorageEnv...), v3S3Env...)
		s := regtest.Serve(t, regtest.ServeOptions{Driver: v3S3(srv, srv.NewBucket(t)), Storage: v3Storage, Env: env})
		check(t, s, env, "s3")
	})
}

// TestConfigAgreesWith3 runs configurations through registry 3.x's own
// garbage-collect (which, like regprune, reads the storage driver and its
// parameters only) and through Open: each accepts what the other does,
// refuses what the other does. Not parallel: it sets the environment.
func TestConfigAgreesWith3(t *testing.T) {
	root := newRoot(t)
	if err := os.MkdirAll(filepath.Join(root, "docker/registry/v2/blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	fs := "  filesystem:\n    rootdirectory: " + root + "\n"
	cases := []struct {
		name, storage string
		env           []string
		ok            bool
	}{
		{"stock settings", fs + v3Storage, nil, true},
		{"settings from the environment", fs, v3StorageEnv, true},
		{"tag alone", fs + "  tag:\n    concurrencylimit: 8\n", []string{"REGISTRY_STORAGE_TAG_CONCURRENCYLIMIT=3"}, true},
		{"bare driver, root from the environment", "", []string{"REGISTRY_STORAGE=filesystem", "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=" + root}, true},
		{"whole section from the environment", "", []string{"REGISTRY_STORAGE={filesystem: {rootdirectory: " + root + "}, tag: {concurrencylimit: 1}}"}, true},
		{"parameters from the environment", fs, []string{"REGISTRY_STORAGE_FILESYSTEM={rootdirectory: " + root + ", maxthreads: 30}"}, true},
		{"two drivers", fs + "  s3:\n    bucket: b\n", nil, false},
		{"a key taken for a driver", fs + "  tags:\n    concurrencylimit: 8\n", nil, false},
		{"settings are case-sensitive", fs + "  Delete:\n    enabled: true\n", nil, false},
		{"second driver from the environment", fs, []string{"REGISTRY_STORAGE_S3_BUCKET=b"}, false},
		{"section replaced, file's driver set again", fs, []string{"REGISTRY_STORAGE=s3", "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=" + root}, false},
		{"no driver", "  delete:\n    enabled: true\n", nil, false},
		{"unknown driver", "  filesytem:\n    rootdirectory: " + root + "\n", nil, false},
		{"bad parameter", "  filesystem:\n    rootdirectory: " + root + "\n    maxthreads: many\n", nil, false},
		{"bad parameter from the environment", fs, []string{"REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS=[1]"}, false},
		{"parameters not a mapping", "  filesystem: " + root + "\n", nil, false},
		{"s3 without bucket", "  s3:\n    region: us-east-1\n", nil, false},
		{"s3 with a bad boolean", "  s3:\n    region: us-east-1\n    bucket: b\n    secure: maybe\n", nil, false},
	}
	for _, c := range cases {
		config := writeFile(t, "version: 0.1\nstorage:\n"+c.storage)
		out, gcErr := regtest.RunRegistry(t, c.env, "garbage-collect", "--dry-run", config)
		if (gcErr == nil) != c.ok {
			t.Errorf("%s: registry %s garbage-collect: %v (want ok=%t)\n%s", c.name, regtest.RegistryVersion, gcErr, c.ok, out)
		}
		setEnv(t, c.env)
		_, err := Open(context.Background(), Location{Config: config, How: "--config"})
		if (err == nil) != c.ok {
			t.Errorf("%s: Open: %v (want ok=%t)", c.name, err, c.ok)
		}
		for _, e := range c.env {
			k, _, _ := strings.Cut(e, "=")
			os.Unsetenv(k)
		}
	}
}
