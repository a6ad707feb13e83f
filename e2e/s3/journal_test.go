package s3

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/storage"
)

// The journal on S3 (issue 16): tag rm records its tags in an object of
// docker/registry/v2/.regprune/journal/; gc --keep-removed keeps their
// images; restore puts every tag back whole (its push time cannot be set
// on object storage, and restore says so); a record older than the
// retention goes with the next changing run.
func testS3JournalRestore(t *testing.T, e *s3Env) {
	ctx := context.Background()
	info := regtest.Sample(t, e.r)
	st, err := storage.Open(ctx, storage.Location{Config: e.cfg, How: "test"})
	if err != nil {
		t.Fatal(err)
	}
	old, err := st.NewJournal("regprune tag rm long:ago", time.Now().Add(-40*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.RecordTags(ctx, []storage.Tag{{Repository: "i", Name: "T11", Digest: sdigest(t, info.Tags["i:T11"])}}, 1); err != nil {
		t.Fatal(err)
	}
	refs := []string{"i:T12", "team/app/api:v1", "a/b/c:1.0"}
	e.run(t, 0, append([]string{"tag", "rm"}, refs...)...)
	runs, err := st.ReadJournal(ctx, time.Time{})
	if err != nil || len(runs) != 1 || runs[0].Err != nil || len(runs[0].Record.Tags) != 3 {
		t.Fatalf("journal after tag rm: %+v, %v (the 40-day-old record must be gone)", runs, err)
	}
	if _, err := e.raw.Stat(ctx, old.Path()); err == nil {
		t.Errorf("the record older than the retention is still in the bucket: %s", old.Path())
	}
	run := runs[0].Name
	if _, err := e.raw.Stat(ctx, storage.StateFilePath(storage.JournalDir+"/"+run)); err != nil {
		t.Errorf("the record is not an object of the bucket: %v", err)
	}
	list := e.run(t, 0, "restore", "--list")
	if !strings.Contains(list.Stdout, run) || !strings.Contains(list.Stdout, "tag rm i:T12 team/app/api:v1 a/b/c:1.0") {
		t.Errorf("restore --list:\n%s", list.Stdout)
	}
	e.gc(t, "--keep-removed", "7d")
	res := e.run(t, 0, "restore", run)
	if !strings.Contains(res.Stdout, "restored 3 of 3 tags") || !strings.Contains(res.Stderr, "cannot set a file's time") {
		t.Errorf("restore on S3:\n%s%s", res.Stdout, res.Stderr)
	}
	for _, ref := range refs {
		e.r.AssertWhole(t, ref)
	}
	e.r.AssertAllTagsWhole(t)
	e.run(t, 0, "check")
}
