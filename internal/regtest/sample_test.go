package regtest

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var update = flag.Bool("update", false, "regenerate testdata/sample (the committed sample registry) from Sample")

// maxSampleBytes bounds the committed sample (sum of file sizes).
const maxSampleBytes = 300 << 10

// TestSample pushes the sample, checks what it must contain, and checks
// that the committed copy is byte-for-byte what Sample pushes (so that
// LoadSample and Sample agree) and serves every tag whole. With -update it
// first rewrites the committed copy.
func TestSample(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := Start(t, root)
	info := Sample(t, r)
	r.AssertAllTagsWhole(t)
	checkSample(t, root, info)
	RemoveEmptyDirs(t, root)
	generated := Snapshot(t, filepath.Join(root, "docker"))
	checkSampleSize(t, generated)
	if *update {
		writeSample(t, root, info)
	}

	dir := SampleDir(t)
	if d := Snapshot(t, filepath.Join(dir, "docker")).Diff(generated); d != nil {
		t.Errorf("testdata/sample differs from what Sample pushes (%d differences; regenerate with "+
			"go test ./internal/regtest -run TestSample -update):\n%s", len(d), strings.Join(d, "\n"))
	}
	croot, cinfo := LoadSample(t)
	if want, _ := json.Marshal(info); !jsonEqual(t, cinfo, want) {
		t.Errorf("testdata/sample/%s differs from Sample's description; regenerate with -update", SampleInfoFile)
	}
	committed := Start(t, croot)
	committed.AssertAllTagsWhole(t)
	if got, want := committed.Tags(t), r.Tags(t); !reflect.DeepEqual(got, want) {
		t.Errorf("committed sample tags = %v, want %v", got, want)
	}
}

func jsonEqual(t *testing.T, v any, want []byte) bool {
	t.Helper()
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(got) == string(want)
}

func checkSampleSize(t *testing.T, tree Tree) {
	t.Helper()
	var total int64
	for _, e := range tree {
		total += e.Size
	}
	t.Logf("sample: %d entries, %d bytes of files", len(tree), total)
	if total > maxSampleBytes {
		t.Errorf("sample holds %d bytes of files, want at most %d", total, maxSampleBytes)
	}
}

// checkSample checks that the sample has every case tests rely on.
func checkSample(t *testing.T, root string, s SampleInfo) {
	t.Helper()
	if want := []string{NestedRepo, SeedRepo, AppRepo, APIRepo}; !slices.Equal(s.Repositories, want) {
		t.Errorf("repositories = %v, want %v", s.Repositories, want)
	}
	seed := func(tag string) v1.Hash { return s.Tags[SeedRepo+":"+tag] }
	if seed("T12") != s.SeedShared || seed("T13") != s.SeedShared || seed("T22") == s.SeedShared {
		t.Errorf("seed case: T12 %s, T13 %s, T22 %s, shared %s", seed("T12"), seed("T13"), seed("T22"), s.SeedShared)
	}
	for rt, reach := range s.Reach {
		if !strings.Contains(rt, ":sha256-") && !slices.Contains(reach, s.Base) {
			t.Errorf("%s does not use the shared base layer %s", rt, s.Base)
		}
	}
	api := s.Reach[APIRepo+":v1"]
	if len(s.Children) != 3 || s.Tags[APIRepo+":v1"] != s.Index {
		t.Errorf("index %s (tag %s) has children %v, want 3", s.Index, s.Tags[APIRepo+":v1"], s.Children)
	}
	for _, c := range s.Children {
		if !slices.Contains(api, c) {
			t.Errorf("child %s not reached from %s:v1", c, APIRepo)
		}
	}
	if s.Tags[s.HistoryTag] == s.HistoryOld {
		t.Errorf("%s still points at its first push %s", s.HistoryTag, s.HistoryOld)
	}
	AssertExists(t, TagIndexLink(root, AppRepo, "latest", s.HistoryOld), RevisionLink(root, AppRepo, s.HistoryOld))
	if s.Tags[AppRepo+":v1"] != s.Subject || s.Tags[NestedRepo+":1.0"] != s.Subject {
		t.Errorf("subject %s is not team/app:v1 and a/b/c:1.0", s.Subject)
	}
	if !slices.Contains(s.Reach[s.ReferrerTag], s.Referrer) || s.Tags[s.SignatureTag] != s.Signature {
		t.Errorf("referrer %s not in %s, or signature %s not at %s", s.Referrer, s.ReferrerTag, s.Signature, s.SignatureTag)
	}
	unique := s.UniqueBlobs(SeedRepo+":T12", SeedRepo+":T22", SeedRepo+":T52")
	if len(unique) != 6 || !slices.Contains(unique, seed("T22")) || slices.Contains(unique, s.SeedShared) ||
		slices.Contains(unique, s.Base) {
		t.Errorf("blobs unique to T12, T22, T52 = %v, want T22's and T52's manifest, config and layer", unique)
	}
}

func TestLoadSampleIsACopy(t *testing.T) {
	t.Parallel()
	root, info := LoadSample(t)
	if len(info.Tags) == 0 {
		t.Fatal("empty sample description")
	}
	if err := os.WriteFile(filepath.Join(root, "docker", "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	AssertMissing(t, filepath.Join(SampleDir(t), "docker", "x"))
}
