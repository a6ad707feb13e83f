package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/regprune/regprune/pulls"
)

// printRecord reports pulls record: per log and for the history, on
// stderr (warnings even with --quiet), or the JSON document on stdout.
func printRecord(e *env, doc recordJSON) error {
	for _, in := range doc.Inputs {
		for _, w := range in.Warnings {
			fmt.Fprintf(e.stderr, "regprune: warning: log %s: %s\n", in.Name, w)
		}
	}
	for _, w := range doc.History.Warnings {
		fmt.Fprintf(e.stderr, "regprune: warning: pull history: %s\n", w)
	}
	if e.json {
		return e.printJSON(doc)
	}
	for _, in := range doc.Inputs {
		e.infof("regprune: log %s: %s lines, %s; %s; %s", in.Name, thousands(in.Lines), plural(int(in.Pulls), "pull"),
			skippedText(in.Skipped), coverageText(in.Covered))
	}
	h := doc.History
	e.infof("regprune: pull history %s: %s, %s, %s, %s; %s", h.File, plural(h.Repositories, "repository"),
		plural(h.Tags, "tag"), plural(h.Digests, "digest"), iecBytes(int64(h.Bytes)), coverageText(h.Coverage))
	if d := h.Dropped; d != (droppedPulls{}) {
		e.infof("regprune: dropped, as the storage no longer holds them: %s, %s, %s",
			plural(d.Repositories, "repository"), plural(d.Tags, "tag"), plural(d.Digests, "digest"))
	}
	switch {
	case doc.DryRun:
		e.infof("regprune: dry run: the history was not written")
	case h.Written:
		e.infof("regprune: pull history written")
	default:
		e.infof("regprune: pull history unchanged")
	}
	return nil
}

// skippedText is "skipped 1,100 (1,050 not a request, 50 other endpoint)".
func skippedText(skipped map[string]int64) string {
	var total int64
	var parts []string
	for _, why := range pulls.Reasons() {
		if n := skipped[why.String()]; n > 0 {
			total += n
			parts = append(parts, thousands(n)+" "+why.String())
		}
	}
	if total == 0 {
		return "nothing skipped"
	}
	return "skipped " + thousands(total) + " (" + strings.Join(parts, ", ") + ")"
}

// coverageText says what time a log or the history covers.
func coverageText(rs []timeRange) string {
	switch len(rs) {
	case 0:
		return "covers no time"
	case 1:
		return "covers " + rangeText(rs[0])
	}
	const shown = 4
	parts := make([]string, 0, shown+1)
	for i, r := range rs {
		if i == shown {
			parts = append(parts, fmt.Sprintf("… %d more", len(rs)-shown))
			break
		}
		parts = append(parts, rangeText(r))
	}
	return fmt.Sprintf("covers %d ranges (with gaps between them): %s", len(rs), strings.Join(parts, ", "))
}

func rangeText(r timeRange) string {
	return r.Start.UTC().Format(time.RFC3339) + " to " + r.End.UTC().Format(time.RFC3339)
}

// thousands writes n with comma separators: 1,234,567.
func thousands(n int64) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
