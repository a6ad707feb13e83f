package s3proxy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Record is one measured run of make bench-s3's latency mode, one JSON
// object a line: a tool's run in a phase, and a bare listing of the same
// bucket just before it through the same proxy.
type Record struct {
	Phase        string  `json:"phase"` // "first gc", "second gc", ...
	Tool         string  `json:"tool"`  // "upstream", "regprune"
	Seconds      float64 `json:"seconds"`
	Run          Counts  `json:"run"`
	FloorSeconds float64 `json:"floor_seconds"`
	Floor        Counts  `json:"floor"` // ListObjectsV2 of every key, 1,000 a page
}

// ReadRecords reads records, one JSON object a line (blank lines skipped).
func ReadRecords(r io.Reader) ([]Record, error) {
	var recs []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec Record
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("record %d: %w", n, err)
		}
		if rec.Phase == "" || rec.Tool == "" {
			return nil, fmt.Errorf("record %d: no phase or tool", n)
		}
		recs = append(recs, rec)
	}
	return recs, sc.Err()
}

// targets are issue 17's speed-ups of regprune over upstream, by phase.
var targets = map[string]float64{"first gc": 10, "second gc": 50}

// WriteReport writes the records as a markdown table, then per phase how
// regprune compares with upstream and with the bare listing, and where
// each run's requests went. A run made at another delay than delay
// (upstream at 0 s, to spare an hour) gets an estimated time at delay:
// its time plus the difference of delays for each request, which is what
// a client making one request at a time would take (upstream's in-flight
// maximum is 2), less the delay's own jitter on a loaded machine (on
// 20 x 5, the measured times at 20 ms were 3-12% above the estimates).
func WriteReport(w io.Writer, recs []Record, delay time.Duration) error {
	var b strings.Builder
	b.WriteString("| phase | tool | time (s) | requests | LIST | GET link | GET blob data | GET other | HEAD | PUT | DELETE | DeleteObjects (keys) | other | in flight (max) | bare listing: LIST, time (s) |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range recs {
		c := r.Run
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %d (%d) | %d | %d | %d, %.1f |\n",
			r.Phase, r.Tool, timeAt(r, delay), c.Total, c.List, c.GetLink, c.GetData, c.Get-c.GetLink-c.GetData,
			c.Head, c.Put, c.Delete, c.DeleteObjects, c.DeletedKeys, c.Other, c.InFlightMax, r.Floor.List, r.FloorSeconds)
	}
	b.WriteString("\n")
	for _, phase := range phases(recs) {
		compare(&b, phase, find(recs, phase, "upstream"), find(recs, phase, "regprune"), delay)
	}
	b.WriteString("\nWhere the requests go (the most frequent places in the storage):\n\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "- %s, %s: %s\n", r.Phase, r.Tool, topPaths(r.Run.Paths, 12))
	}
	for _, r := range recs {
		if e := r.Run.Errors() + r.Floor.Errors(); e > 0 {
			fmt.Fprintf(&b, "- %s, %s: %d responses were errors (not 2xx nor 404): %v\n", r.Phase, r.Tool, e, r.Run.Status)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// estimated is the time of r at delay, and whether it was estimated.
func estimated(r Record, delay time.Duration) (float64, bool) {
	d, err := time.ParseDuration(r.Run.Delay)
	if err != nil || delay <= 0 || d == delay {
		return r.Seconds, false
	}
	return r.Seconds + float64(r.Run.Total)*(delay-d).Seconds(), true
}

func timeAt(r Record, delay time.Duration) string {
	s, est := estimated(r, delay)
	if !est {
		return fmt.Sprintf("%.1f", s)
	}
	return fmt.Sprintf("~%.0f (est.; %.1f at %s)", s, r.Seconds, r.Run.Delay)
}

func phases(recs []Record) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range recs {
		if !seen[r.Phase] {
			seen[r.Phase] = true
			out = append(out, r.Phase)
		}
	}
	return out
}

func find(recs []Record, phase, tool string) *Record {
	for i := range recs {
		if recs[i].Phase == phase && recs[i].Tool == tool {
			return &recs[i]
		}
	}
	return nil
}

func compare(b *strings.Builder, phase string, up, rp *Record, delay time.Duration) {
	if rp == nil {
		return
	}
	fmt.Fprintf(b, "- %s: regprune %d LIST (%d of one directory level, %d in blobs/) for a bare listing's %d (%.2fx, %+d over 1.1x)",
		phase, rp.Run.List, rp.Run.ListDelimited, rp.Run.ListBlobs, rp.Floor.List, ratio(rp.Run.List, rp.Floor.List),
		rp.Run.List-int64(1.1*float64(rp.Floor.List)+0.5))
	fmt.Fprintf(b, ", %d GETs of links, %d of blob data", rp.Run.GetLink, rp.Run.GetData)
	if up != nil {
		u, uest := estimated(*up, delay)
		r, rest := estimated(*rp, delay)
		est := ""
		if uest || rest {
			est = " (estimated)"
		}
		fmt.Fprintf(b, "; %.1fx faster than upstream%s, %.1fx fewer requests", u/r, est, ratio(up.Run.Total, rp.Run.Total))
		if t, ok := targets[phase]; ok {
			fmt.Fprintf(b, " (target %.0fx faster)", t)
		}
	}
	b.WriteString("\n")
}

// topPaths are the n most frequent patterns of paths, with their counts.
func topPaths(paths map[string]int64, n int) string {
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if paths[keys[i]] != paths[keys[j]] {
			return paths[keys[i]] > paths[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%d `%s`", paths[k], k))
	}
	if len(keys) > n {
		parts = append(parts, fmt.Sprintf("%d more kinds", len(keys)-n))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
