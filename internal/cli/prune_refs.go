package cli

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/regprune/regprune/retention"
)

// The lists of images in use (--keep-refs, keep_refs) and what prune
// reports of the evidence it judged use by.

func (u *useRequest) loadRefs(e *env, repos []string) error {
	if len(u.refFiles) == 0 {
		return nil
	}
	if u.report == nil {
		u.report = &useReport{PullLogs: []logReport{}, ImagesInUse: []refsReport{}}
	}
	exists := make(map[string]bool, len(repos))
	for _, r := range repos {
		exists[r] = true
	}
	u.use.Refs = map[string]*retention.ImageRefSet{}
	for _, name := range slices.Sorted(maps.Keys(u.refFiles)) {
		set, err := readRefs(name, u.refFiles[name], e.input(), u.host)
		if err != nil {
			return err
		}
		u.use.Refs[name] = set
		u.report.ImagesInUse = append(u.report.ImagesInUse, refsReport{File: name, References: set.Len(),
			OtherHosts: len(set.OtherHosts()), NotInStorage: len(set.Missing(func(r string) bool { return exists[r] }))})
	}
	return nil
}

// readRefs reads one list of images in use; a reference no runtime could
// pull is an error naming its place (usage: the list is bad input).
func readRefs(name, path string, stdin io.Reader, host string) (*retention.ImageRefSet, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("images in use: %v", err)
		}
		defer f.Close()
		r = f
	}
	refs, invalid, err := retention.ParseImageRefs(r, name)
	if err != nil {
		return nil, fmt.Errorf("images in use: %w", err)
	}
	if len(invalid) > 0 {
		msgs := make([]string, 0, 3)
		for i, bad := range invalid {
			if i == 3 {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(invalid)-3))
				break
			}
			msgs = append(msgs, bad.Error())
		}
		return nil, usagef("images in use: %d references no runtime could pull (nothing was changed): %s",
			len(invalid), strings.Join(msgs, "; "))
	}
	return retention.NewImageRefSet(refs, host), nil
}

// printUse reports what prune judged use by, on stderr.
func printUse(e *env, rep *useReport) {
	if rep == nil {
		return
	}
	for _, in := range rep.PullLogs {
		for _, w := range in.Warnings {
			fmt.Fprintf(e.stderr, "regprune: warning: log %s: %s\n", in.Name, w)
		}
		e.infof("regprune: log %s: %s lines, %s; %s", in.Name, thousands(in.Lines), plural(int(in.Pulls), "pull"),
			coverageText(in.Covered))
	}
	if rep.History != "" {
		what := "pull history " + rep.History
		if !rep.Recorded {
			what = "no pull history recorded (" + rep.History + ")"
		}
		if len(rep.PullLogs) > 0 {
			what += ", with the logs of this run,"
		}
		e.infof("regprune: %s %s", what, coverageText(rep.Coverage))
	}
	if rep.Partial != "" {
		fmt.Fprintf(e.stderr, "regprune: warning: judging by a partial pull history (--allow-partial-history): %s\n", rep.Partial)
	}
	for _, r := range rep.ImagesInUse {
		e.infof("regprune: images in use %s: %s; %d name another host (ignored); %d name repositories this storage does not hold",
			r.File, plural(r.References, "reference"), r.OtherHosts, r.NotInStorage)
	}
}
