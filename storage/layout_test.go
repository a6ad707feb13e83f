package storage

import (
	"strings"
	"testing"
)

// TestLayoutPaths pins every path kind of layout.go to the exact path the
// registry uses (registry/storage/paths.go in distribution), for a nested
// repository name.
func TestLayoutPaths(t *testing.T) {
	t.Parallel()
	const h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	d, err := ParseHex(h)
	if err != nil {
		t.Fatal(err)
	}
	const v2 = "/docker/registry/v2"
	const repo = v2 + "/repositories/team/app"
	cases := []struct{ kind, got, want string }{
		{"LockPath", LockPath(), v2 + "/.regprune.lock"},
		{"BlobsRoot", BlobsRoot(), v2 + "/blobs"},
		{"BlobAlgorithmPath", BlobAlgorithmPath(), v2 + "/blobs/sha256"},
		{"BlobPrefixPath", BlobPrefixPath("01"), v2 + "/blobs/sha256/01"},
		{"BlobPath", BlobPath(d), v2 + "/blobs/sha256/01/" + h},
		{"BlobDataPath", BlobDataPath(d), v2 + "/blobs/sha256/01/" + h + "/data"},
		{"RepositoriesPath", RepositoriesPath(), v2 + "/repositories"},
		{"RepositoryPath", RepositoryPath("team/app"), repo},
		{"LayerLinksPath", LayerLinksPath("team/app"), repo + "/_layers/sha256"},
		{"LayerLinkDirPath", LayerLinkDirPath("team/app", d), repo + "/_layers/sha256/" + h},
		{"LayerLinkPath", LayerLinkPath("team/app", d), repo + "/_layers/sha256/" + h + "/link"},
		{"ManifestsPath", ManifestsPath("team/app"), repo + "/_manifests"},
		{"RevisionsPath", RevisionsPath("team/app"), repo + "/_manifests/revisions/sha256"},
		{"RevisionPath", RevisionPath("team/app", d), repo + "/_manifests/revisions/sha256/" + h},
		{"RevisionLinkPath", RevisionLinkPath("team/app", d), repo + "/_manifests/revisions/sha256/" + h + "/link"},
		{"TagsPath", TagsPath("team/app"), repo + "/_manifests/tags"},
		{"TagPath", TagPath("team/app", "v1"), repo + "/_manifests/tags/v1"},
		{"TagCurrentLinkPath", TagCurrentLinkPath("team/app", "v1"), repo + "/_manifests/tags/v1/current/link"},
		{"TagIndexPath", TagIndexPath("team/app", "v1"), repo + "/_manifests/tags/v1/index/sha256"},
		{"TagIndexEntryPath", TagIndexEntryPath("team/app", "v1", d), repo + "/_manifests/tags/v1/index/sha256/" + h},
		{"TagIndexLinkPath", TagIndexLinkPath("team/app", "v1", d), repo + "/_manifests/tags/v1/index/sha256/" + h + "/link"},
		{"UploadsPath", UploadsPath("team/app"), repo + "/_uploads"},
		{"UploadPath", UploadPath("team/app", "u-1"), repo + "/_uploads/u-1"},
		{"UploadStartedAtPath", UploadStartedAtPath("team/app", "u-1"), repo + "/_uploads/u-1/startedat"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.kind, c.got, c.want)
		}
	}
}

func TestRepositoryName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"i", "team/app", "a/b/c"} {
		got, ok := RepositoryName(RepositoryPath(name))
		if !ok || got != name {
			t.Errorf("RepositoryName(RepositoryPath(%q)) = %q, %v", name, got, ok)
		}
	}
	for _, p := range []string{RepositoriesPath(), RepositoriesPath() + "/", BlobsRoot(), "/elsewhere/x"} {
		if got, ok := RepositoryName(p); ok {
			t.Errorf("RepositoryName(%q) = %q, true; want false", p, got)
		}
	}
	if Base(TagCurrentLinkPath("a/b", "t")) != LinkFile || !strings.HasSuffix(BlobDataPath(Digest{}), "/"+DataFile) {
		t.Error("Base or DataFile disagree with the layout")
	}
}

// The per-object paths gc builds by the hundred thousand cost one
// allocation each.
func TestLayoutPathAllocations(t *testing.T) {
	var d Digest
	d[0] = 0xab
	var sink string
	for name, f := range map[string]func(){
		"BlobPath":          func() { sink = BlobPath(d) },
		"BlobDataPath":      func() { sink = BlobDataPath(d) },
		"LayerLinkDirPath":  func() { sink = LayerLinkDirPath("team/app", d) },
		"LayerLinkPath":     func() { sink = LayerLinkPath("team/app", d) },
		"RevisionPath":      func() { sink = RevisionPath("team/app", d) },
		"RevisionLinkPath":  func() { sink = RevisionLinkPath("team/app", d) },
		"TagIndexEntryPath": func() { sink = TagIndexEntryPath("team/app", "v1", d) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 1 {
			t.Errorf("%s: %v allocations, want 1", name, n)
		}
	}
	_ = sink
}
