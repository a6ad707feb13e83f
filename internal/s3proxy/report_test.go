package s3proxy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func record(t *testing.T, phase, tool string, seconds float64, run Counts) string {
	t.Helper()
	floor := newCounts()
	floor.Total, floor.List, floor.Delay = 10, 10, "20ms"
	b, err := json.Marshal(Record{Phase: phase, Tool: tool, Seconds: seconds, Run: run, FloorSeconds: 0.2, Floor: floor})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReport(t *testing.T) {
	up := Counts{Total: 1000, List: 100, Get: 700, GetLink: 500, GetData: 150, Head: 200, InFlightMax: 1, Delay: "0s",
		Status: map[string]int64{"200": 990, "404": 10}}
	rp := Counts{Total: 40, List: 20, ListDelimited: 15, ListBlobs: 8, Get: 12, GetLink: 10, GetData: 1, Put: 1, DeleteObjects: 2, DeletedKeys: 1500,
		Other: 5, InFlightMax: 16, Delay: "20ms", Status: map[string]int64{"200": 39, "403": 1},
		Paths: map[string]int64{"LIST a": 3, "LIST b": 3, "GET c": 10, "d": 1, "e": 1, "f": 1, "g": 1, "h": 1, "i": 1, "j": 1, "k": 1, "l": 1, "m": 1, "n": 1}}
	in := strings.Join([]string{
		record(t, "second gc", "upstream", 3, up), "",
		record(t, "second gc", "regprune", 0.5, rp),
	}, "\n")
	recs, err := ReadRecords(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || !reflect.DeepEqual(recs[1].Run, rp) {
		t.Fatalf("read %+v", recs)
	}
	var b strings.Builder
	if err := WriteReport(&b, recs, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		// upstream at 0 s: 3 s + 1,000 requests x 20 ms, one at a time.
		"| second gc | upstream | ~23 (est.; 3.0 at 0s) | 1000 | 100 | 500 | 150 | 50 | 200 | 0 | 0 | 0 (0) | 0 | 1 | 10, 0.2 |\n",
		"| second gc | regprune | 0.5 | 40 | 20 | 10 | 1 | 1 | 0 | 1 | 0 | 2 (1500) | 5 | 16 | 10, 0.2 |\n",
		"- second gc: regprune 20 LIST (15 of one directory level, 8 in blobs/) for a bare listing's 10 (2.00x, +9 over 1.1x), 10 GETs of links, 1 of blob data; " +
			"46.0x faster than upstream (estimated), 25.0x fewer requests (target 50x faster)\n",
		"- second gc, regprune: 10 `GET c`, 3 `LIST a`, 3 `LIST b`, 1 `d`, 1 `e`, 1 `f`, 1 `g`, 1 `h`, 1 `i`, 1 `j`, 1 `k`, 1 `l`, 2 more kinds\n",
		"- second gc, upstream: none\n",
		"- second gc, regprune: 1 responses were errors (not 2xx nor 404): map[200:39 403:1]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "upstream: 10 responses") {
		t.Errorf("404s reported as errors:\n%s", out)
	}
	if strings.Count("\n"+out, "\n| ") != 3 { // header and two rows
		t.Errorf("rows:\n%s", out)
	}
}

func TestReadRecordsRefuses(t *testing.T) {
	for _, in := range []string{
		`{"phase":"x"}`,
		`{"phase":"x","tool":"y","seconds":"1"}`,
		`{"phase":"x","tool":"y","extra":1}`,
		`{"phase":"x","tool":"y"`,
	} {
		if _, err := ReadRecords(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "record 1") {
			t.Errorf("%s: %v", in, err)
		}
	}
}

// FuzzReadRecords: whatever the file holds, reading it does not panic, and
// what was read writes a report and reads back the same.
func FuzzReadRecords(f *testing.F) {
	f.Add(`{"phase":"first gc","tool":"regprune","seconds":1.5,"run":{"total":3,"list":3,"delay":"20ms","ops":{"ListObjectsV2":3}}}`)
	f.Add("\n\n{}\n")
	f.Add(`{"phase":"a","tool":"upstream","run":{"delay":"0s","total":-5,"in_flight_max":2}}`)
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := ReadRecords(strings.NewReader(in))
		if err != nil {
			return
		}
		var b strings.Builder
		if err := WriteReport(&b, recs, 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, r := range recs {
			j, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(j))
		}
		again, err := ReadRecords(strings.NewReader(strings.Join(lines, "\n")))
		if err != nil || len(again) != len(recs) {
			t.Fatalf("read back: %d records, %v", len(again), err)
		}
	})
}
