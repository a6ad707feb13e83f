package commands

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/regtest"
)

type checkJSON struct {
	Problems []struct {
		Repository, Tag, Digest, Kind, Detail string
	} `json:"problems"`
	Repositories int `json:"repositories"`
}

func TestCheckCommand(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := regtest.Start(t, root)
	r.PushImage(t, "team/app:v1")
	broken := r.PushImage(t, "web:v1")
	layer := regtest.BlobsOf(t, broken)[1]

	out := mustRun(t, 0, "--root", root, "check", "--verify-digests")
	if !strings.Contains(out.Stdout, "check: no problems in 2 repositories, 2 tags, 2 manifests, 8 blobs, 8 blob digests verified") {
		t.Errorf("clean check output:\n%s", out.Stdout)
	}

	regtest.FlipByte(t, root, layer)
	before := regtest.Snapshot(t, root)
	out = mustRun(t, 1, "--root", root, "check", "--verify-digests")
	for _, want := range []string{"REPOSITORY", "web  ", "v1", "digest-mismatch", layer.String(), "check: 1 problem in 1 of 2 repositories"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, out.Stdout)
		}
	}
	if strings.Contains(out.Stderr, "regprune: ") && strings.Contains(out.Stderr, "problem") {
		t.Errorf("summary repeated on stderr:\n%s", out.Stderr)
	}

	out = mustRun(t, 1, "--root", root, "--json", "check", "--verify-digests")
	var doc checkJSON
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out.Stdout)
	}
	if len(doc.Problems) != 1 || doc.Problems[0].Repository != "web" || doc.Problems[0].Tag != "v1" ||
		doc.Problems[0].Digest != layer.String() || doc.Problems[0].Kind != "digest-mismatch" || doc.Problems[0].Detail == "" {
		t.Errorf("--json problems: %+v", doc.Problems)
	}

	mustRun(t, 0, "--root", root, "check", "--verify-digests", "--repo", "team/*")
	out = mustRun(t, 0, "--root", root, "--json", "check", "--repo", "web")
	if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil || doc.Repositories != 1 || len(doc.Problems) != 0 {
		t.Errorf("--repo web without --verify-digests: %v %+v", err, doc)
	}
	out = mustRun(t, 1, "--root", root, "check", "--repo", "nope*")
	if !strings.Contains(out.Stderr, `"nope*"`) {
		t.Errorf("unmatched glob not named:\n%s", out.Stderr)
	}
	mustRun(t, 2, "--root", root, "check", "--repo", "[")
	mustRun(t, 2, "--root", root, "check", "web")
	regtest.AssertUnchanged(t, root, before) // no lock file, nothing written
}
