package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docker/distribution/registry/storage/driver/factory"
	"github.com/regprune/regprune/internal/minio"
	"github.com/regprune/regprune/internal/regtest"
)

// v3Storage uses every storage key registry 3.x reads next to the driver,
// the v3-only ones included (tag.concurrencylimit, cache.
// blobdescriptorsize), at two spaces under storage:.
const v3Storage = `  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
    blobdescriptorsize: 10000
  maintenance:
    uploadpurging:
      enabled: false
    readonly:
      enabled: false
  redirect:
    disable: true
  tag:
    concurrencylimit: 8
`

// v3StorageEnv sets the same keys through the environment.
var v3StorageEnv = []string{
	"REGISTRY_STORAGE_TAG_CONCURRENCYLIMIT=4",
	"REGISTRY_STORAGE_CACHE_BLOBDESCRIPTORSIZE=5000",
	"REGISTRY_STORAGE_DELETE_ENABLED=true",
	"REGISTRY_STORAGE_REDIRECT_DISABLE=true",
	"REGISTRY_STORAGE_MAINTENANCE_READONLY={enabled: false}",
}

// v3S3 is a 3.x s3 driver block for bucket on srv, at two spaces, with
// the 3.x parameters 2.8's driver does not read or refuses.
func v3S3(srv *minio.Server, bucket string) string {
	return fmt.Sprintf(`  s3:
    bucket: %s
    regionendpoint: %s
    forcepathstyle: true
    accesskey: %s
    secretkey: %s
    secure: false
    rootdirectory: /registry
    loglevel: debug
    usedualstack: false
    accelerate: false
    storageclass: STANDARD
    chunksize: 10485760
`, bucket, srv.Endpoint, minio.AccessKey, minio.SecretKey)
}

// v3S3Env sets s3 parameters of 3.x through the environment.
var v3S3Env = []string{"REGISTRY_STORAGE_S3_FORCEPATHSTYLE=true", "REGISTRY_STORAGE_S3_LOGLEVEL=off",
	"REGISTRY_STORAGE_S3_USEFIPSENDPOINT=false", "REGISTRY_STORAGE_S3_REDIRECTENDPOINT=https://cdn.example.com"}

// setEnv sets "NAME=value" entries for the test (not parallel).
func setEnv(t *testing.T, env []string) {
	t.Helper()
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		t.Setenv(k, v)
	}
}

// s3Bucket makes a bucket holding repository "app" under /registry.
func s3Bucket(t *testing.T, srv *minio.Server) string {
	t.Helper()
	bucket := srv.NewBucket(t)
	params := srv.Params(bucket)
	params["rootdirectory"] = "/registry"
	raw, err := factory.Create("s3", params)
	if err != nil {
		t.Fatal(err)
	}
	put(t, raw, RepositoriesPath()+"/app/_manifests/tags/v1/current/link", "x")
	return bucket
}

// openAndList opens config and checks that it reaches the storage
// holding exactly repository "app" through driver typ.
func openAndList(t *testing.T, config, typ string) {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, Location{Config: config, How: "--config"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != typ {
		t.Fatalf("opened %s storage, want %s", st.Type, typ)
	}
	repos, err := st.Repositories(ctx, 4)
	if err != nil || len(repos) != 1 || repos[0] != "app" {
		t.Fatalf("Repositories = %v, %v; want [app]", repos, err)
	}
}

// fsRootWithApp is a filesystem registry root holding repository "app".
func fsRootWithApp(t *testing.T) string {
	t.Helper()
	root := newRoot(t)
	regtest.WriteFile(t, filepath.Join(root, "docker/registry/v2/repositories/app/_manifests/tags/v1/current/link"), []byte("x"))
	return root
}

func writeFile(t *testing.T, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yml")
	regtest.WriteFile(t, p, []byte(data))
	return p
}

var fsBlock = regexp.MustCompile(`(?m)^( +)filesystem:\n( +rootdirectory: .*\n)`)

// withDriver replaces the filesystem driver block of a stock config by
// block (re-indented to the file's own indentation), keeping its settings.
func withDriver(t *testing.T, data []byte, block string) string {
	t.Helper()
	m := fsBlock.FindSubmatch(data)
	if m == nil {
		t.Fatalf("no filesystem block in\n%s", data)
	}
	indent := string(m[1])
	var b strings.Builder
	for _, l := range strings.SplitAfter(strings.TrimRight(block, "\n"), "\n") {
		b.WriteString(strings.Replace(l, "  ", indent, 1))
	}
	return strings.Replace(string(data), string(m[0]), b.String()+"\n", 1)
}

// TestOpenStockConfigs opens the storage from the config.yml of the
// registry:2 and registry:3 images (and distribution's own images and
// examples) as they ship it: on the filesystem (the image's volume, moved
// by REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY), on S3 set through the
// environment (REGISTRY_STORAGE=s3 and its parameters, as a registry pod
// is given it), and on S3 set in the file next to the file's settings.
// Not parallel: it sets the environment.
func TestOpenStockConfigs(t *testing.T) {
	configs := regtest.StockConfigs(t)
	srv := minio.Start(t)
	for _, sc := range configs {
		t.Run(strings.ReplaceAll(sc.Name, " ", "_"), func(t *testing.T) {
			v3 := sc.Path == regtest.ConfigPath3
			stock := writeFile(t, string(sc.Data))

			t.Setenv(RootEnv, fsRootWithApp(t))
			openAndList(t, stock, "filesystem")
			os.Unsetenv(RootEnv) // t.Setenv restores it

			bucket := s3Bucket(t, srv)
			env := []string{"REGISTRY_STORAGE=s3", "REGISTRY_STORAGE_S3_BUCKET=" + bucket,
				"REGISTRY_STORAGE_S3_REGIONENDPOINT=" + srv.Endpoint, "REGISTRY_STORAGE_S3_ROOTDIRECTORY=/registry",
				"REGISTRY_STORAGE_S3_ACCESSKEY=" + minio.AccessKey, "REGISTRY_STORAGE_S3_SECRETKEY=" + minio.SecretKey,
				"REGISTRY_STORAGE_S3_SECURE=false"}
			if v3 {
				env = append(env, v3S3Env...)
			} else {
				env = append(env, "REGISTRY_STORAGE_S3_REGION="+minio.Region)
			}
			setEnv(t, env)
			openAndList(t, stock, "s3")
			for _, e := range env {
				k, _, _ := strings.Cut(e, "=")
				os.Unsetenv(k)
			}

			block := fmt.Sprintf("  s3aws:\n    bucket: %s\n    region: %s\n    regionendpoint: %s\n    accesskey: %s\n"+
				"    secretkey: %s\n    secure: false\n    rootdirectory: /registry\n",
				bucket, minio.Region, srv.Endpoint, minio.AccessKey, minio.SecretKey)
			if v3 {
				block = v3S3(srv, bucket)
			}
			openAndList(t, writeFile(t, withDriver(t, sc.Data, block)), map[bool]string{true: "s3", false: "s3aws"}[v3])
		})
	}
}

// TestOpenV3StorageKeys opens a configuration with every 3.x storage
// setting, in the file and through the environment, on the filesystem
// and on S3 with 3.x driver parameters. Not parallel: it sets the
// environment.
func TestOpenV3StorageKeys(t *testing.T) {
	srv := minio.Start(t)
	setEnv(t, v3StorageEnv)
	fs := fmt.Sprintf("version: 0.1\nlog:\n  formatter: json\nstorage:\n  filesystem:\n    rootdirectory: %s\n    maxthreads: 50\n%s",
		fsRootWithApp(t), v3Storage)
	openAndList(t, writeFile(t, fs), "filesystem")
	s3 := "version: 0.1\nstorage:\n" + v3S3(srv, s3Bucket(t, srv)) + v3Storage
	setEnv(t, v3S3Env)
	openAndList(t, writeFile(t, s3), "s3")
}
