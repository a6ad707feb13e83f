// Package regtest serves a real distribution registry (docker/distribution
// v2.8.3, filesystem storage, delete enabled, no blob descriptor cache) in
// process for tests, pushes real images into it with go-containerregistry,
// checks them by pulling them back, and snapshots and damages the tree on
// disk. Every helper takes a testing.TB and fails it on error.
//
// Registry (r := Start(t, root); r.Root, r.Host):
//
//	r.Ref(t, "repo:tag" | "repo@sha256:...") name.Reference; r.Repo(t, repo); r.Digest(t, repo, d)
//	r.PushImage(t, repoTag, opts...) v1.Image      random layers; repoTag without ":tag" pushes by digest
//	    WithLayers(n, size), WithSharedLayers(ls...), WithPlatform(os, "arch[/variant]"), WithOCI(), WithSeed(n)
//	NewImage(t, opts...) v1.Image; RandomLayer(t, size) v1.Layer; r.Write(t, repoTag, img); r.WriteIndex(t, repoTag, idx)
//	r.PushIndex(t, repoTag, children...) v1.ImageIndex       children by digest, then the index (platforms set)
//	r.PushIndexOf(t, repoTag, indexes...) v1.ImageIndex      index of indexes
//	r.PushReferrer(t, repo, subject) v1.Image    OCI artifact with subject; go-containerregistry writes
//	                                             the referrers fallback tag FallbackTag(subject) ("sha256-<hex>")
//	r.PushCosignSignature(t, repo, subject) v1.Image   subject-less signature tagged "sha256-<hex>.sig"
//	r.Tag(t, srcRepoTag, dstTag); r.DeleteManifest(t, repo, d)   (HTTP DELETE by digest)
//
// Pull assertions, through the registry API:
//
//	r.AssertAllTagsWhole(t)   every tag of every repository (catalog + tags/list) pulls whole
//	r.AssertWhole(t, repoTag) one tag or digest pulls whole; r.Whole(ctx, ref) error is the check itself
//	r.AssertGone(t, repoTag)  the pull fails with 404 MANIFEST_UNKNOWN (anything else fails t)
//	r.Tags(t) map[repository][]tag
//
// "Whole" means: for an index, every child at any depth fetched by digest
// from the same repository; for a container image, validate.Image (every
// blob fetched and verified); for an artifact, every blob it lists fetched
// and checked against digest and size.
//
// Disk (paths computed here independently of storage/layout.go):
//
//	V2Dir, RepoDir, BlobFile, RevisionLink, LayerLink, TagDir, TagLink, TagIndexLink, LockFile
//	SetPushed(t, root, repo, tag, when); SetModTime(t, path, when)
//	Exists(t, path); AssertExists(t, paths...); AssertMissing(t, paths...)
//	DeleteBlob, TruncateBlob (to half), FlipByte (middle byte) (t, root, d); WriteTagLink(t, root, repo, tag, content)
//	WriteBlobData(t, root, d, data); WriteLink(t, path, content); WriteFile(t, path, data)
//	Snapshot(t, root) Tree; before.Diff(after) []string; AssertUnchanged(t, root, before); CopyTree(t, src) string
//
// A Tree records names and bytes (not times) of everything under root and
// ignores nothing, not even regprune's .regprune.lock: a dry run or a
// refused command must not create it. Without a blob descriptor cache the
// registry sees files deleted on disk at once: no restart between a
// regprune run and the pulls that check it.
//
// Other pushes and reads:
//
//	r.PushBlob(t, repo, data) v1.Hash          a blob and its layer link, no manifest (an orphan)
//	r.StartUpload(t, repo, data) id            an unfinished upload session: UploadDir(root, repo, id)
//	r.Resolve(t, repoTag) v1.Hash              the manifest digest a tag names
//	r.Reach(t, repoTag) []v1.Hash              every digest a pull fetches (manifests, configs, layers)
//	DigestOf(t, x), LayersOf(t, img), BlobsOf(t, img) (config + layers), FallbackTag(d)
//
// An in-process 2.8 registry that logs as `registry serve` 2.8 does, into
// memory (its request lines carry no vars.name/vars.reference on success:
// 2.8 logs them before routing), for tests of regprune's log reading:
//
//	l := StartLogged(t, root, LogOptions{JSON, AccessLog, Notify}); StartS3Logged(t, params, opts)
//	l.Registry: every helper above; l.Log (an *Output, as Served.Log); l.Events (with Notify)
//
// A real `registry serve` of RegistryVersion (v3.1.2) as a process, for
// end-to-end tests of its logs, notifications and API (skipped without
// the binary, failed under REGPRUNE_REQUIRE_REGISTRY=1; installed by
// scripts/install-registry.sh into $HOME/.cache/regprune-registry):
//
//	s := Serve(t, ServeOptions{JSON, AccessLog, Notify, Root, Storage, Driver, Env})
//	    filesystem root (default a t.TempDir()), delete enabled, no blob descriptor cache,
//	    log level info, text or JSON logs, access log on or off, notifications to an
//	    in-test endpoint, extra storage keys, another driver block, REGISTRY_* env
//	s.Registry: every helper above (push, pull, assert, disk); s.DeleteTag(t, repo, tag)
//	    DELETE /v2/<repo>/manifests/<tag> (3.x; the in-process 2.8 registry answers 400)
//	s.Config, s.LogFile; s.Log.Lines(), s.Log.Matching(f), s.Log.WaitFor(t, n, f), Containing(subs...)
//	s.Events.All() []Event, s.Events.Envelopes(), s.Events.WaitFor(t, n, func(Event) bool)
//	s.Stop()   (also at cleanup; the log is complete afterwards)
//	RunRegistry(t, env, args...) (output, error)   e.g. garbage-collect --dry-run config.yml
//	StockConfigs(t) []StockConfig   the config.yml of the registry:2 and registry:3 images, ...
//	ModuleFile(t, "module@version", file), ModuleDir   distribution's sources via the module proxy
//
// Sample registry (issue 2 item 8; see testdata/sample/README.md):
//
//	Sample(t, r) SampleInfo      pushes it into r, deterministically (seeded layers)
//	LoadSample(t) (root, info)   a t.TempDir() copy of the committed testdata/sample and its sample.json
//	SampleDir(t)                 the committed copy; SampleInfo.UniqueBlobs(tags...) what only those tags reach
//	go test ./internal/regtest -run TestSample -update   regenerates it
package regtest

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/docker/distribution/configuration"
	"github.com/docker/distribution/registry/handlers"
	_ "github.com/docker/distribution/registry/storage/driver/filesystem" // registers the filesystem driver
	"github.com/sirupsen/logrus"
)

// Registry is a distribution registry serving a filesystem root over HTTP.
type Registry struct {
	Root   string // the registry's rootdirectory
	Host   string // host:port to use in references
	server *httptest.Server
}

// Start serves a registry on root until the test ends.
func Start(t testing.TB, root string) *Registry {
	t.Helper()
	r := serve(t, "filesystem", configuration.Parameters{"rootdirectory": root})
	r.Root = root
	return r
}

// serve serves a registry on the storage driver typ with params until the
// test ends: delete enabled, upload purging off, no blob descriptor cache.
func serve(t testing.TB, typ string, params configuration.Parameters) *Registry {
	t.Helper()
	logrus.SetOutput(io.Discard)
	cfg := registryConfig(typ, params)
	cfg.Log.Level = "error"
	cfg.Log.AccessLog.Disabled = true
	app := handlers.NewApp(context.Background(), cfg)
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), server: srv}
}

// registryConfig is the configuration of every in-process registry:
// storage driver typ with params, delete enabled, upload purging off, no
// blob descriptor cache, catalog pages of 1000.
func registryConfig(typ string, params configuration.Parameters) *configuration.Configuration {
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			typ:      params,
			"delete": configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{
				"uploadpurging": map[interface{}]interface{}{"enabled": false},
			},
		},
	}
	cfg.Catalog.MaxEntries = 1000 // go-containerregistry asks for pages of 1000
	return cfg
}
