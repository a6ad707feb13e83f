package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/regprune/regprune/pulls"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

// useRuleFlags are prune's rule flags by use (with --policy, its keys).
var useRuleFlags = []string{"keep-pulled-within", "keep-last-pulled", "keep-semver", "keep-refs"}

// useFlags are prune's flags of the rules by use (prune_use.go).
func useFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "keep-pulled-within", Usage: "keep tags pulled within `DUR` (30d), and tags pushed within it; needs a pull history covering it (pulls record)"},
		&cli.IntFlag{Name: "keep-last-pulled", Usage: "in each repository keep the `N` most recently pulled candidates"},
		&cli.IntFlag{Name: "keep-semver", Usage: "in each repository keep the `N` highest semantic versions among the candidates"},
		&listFlag{GenericFlag: cli.GenericFlag{Name: "keep-refs", Value: &stringList{},
			Usage: "keep the images in use listed in `FILE` (- for stdin; repeatable), as kubectl get pods -A -o jsonpath='{..image}' prints them"}},
		&cli.StringFlag{Name: "registry-host", Usage: "with --keep-refs (or keep_refs): only references naming `HOST` (host[:port]) keep tags"},
		&listFlag{GenericFlag: cli.GenericFlag{Name: "pull-log", Value: &stringList{},
			Usage: "judge also by the pulls of registry log `FILE` (- for stdin; repeatable), without recording it"}},
		&cli.BoolFlag{Name: "allow-partial-history", Usage: "let pull rules judge by a history that does not cover their whole window: what was not pulled since it starts goes"},
	}
}

// useRequest is what prune was asked about use, checked; loadUse fills
// the evidence.
type useRequest struct {
	pullLogs     []string
	allowPartial bool
	host         string
	refFiles     map[string]string // a rule's KeepRefs name -> the file to read ("-": stdin)
	now          time.Time         // the time rules judge at
	use          retention.Use
	report       *useReport // nil when no rule judges by use
}

// flagUseRule sets the rule's keys by use from the flags.
func flagUseRule(c *cli.Context, r *retention.Rule) error {
	var err error
	if c.IsSet("keep-pulled-within") {
		if r.KeepPulledWithin, err = retention.ParseDuration(c.String("keep-pulled-within")); err != nil {
			return usagef("--keep-pulled-within: %v", err)
		}
		if r.KeepPulledWithin == 0 {
			return usagef("--keep-pulled-within 0: want a duration above zero")
		}
	}
	r.KeepLastPulled, r.KeepSemver = c.Int("keep-last-pulled"), c.Int("keep-semver")
	if r.KeepLastPulled < 0 || r.KeepSemver < 0 {
		return usagef("--keep-last-pulled and --keep-semver: want 0 or more")
	}
	r.KeepRefs = c.Generic("keep-refs").(*stringList).values
	return nil
}

// readUseFlags checks the flags about use against the rules: --pull-log
// and --allow-partial-history need a rule by pulls, --registry-host one
// by images in use; stdin is read once. A policy's keep_refs files are
// read relative to the policy file's directory.
func readUseFlags(c *cli.Context, rules []retention.Rule, policy string) (useRequest, error) {
	req := useRequest{pullLogs: c.Generic("pull-log").(*stringList).values, allowPartial: c.Bool("allow-partial-history"),
		host: c.String("registry-host"), refFiles: map[string]string{}}
	byPulls := false
	for _, r := range rules {
		byPulls = byPulls || r.UsesPulls()
		for _, name := range r.KeepRefs {
			req.refFiles[name] = name
			if policy != "" && name != "-" && !filepath.IsAbs(name) {
				req.refFiles[name] = filepath.Join(filepath.Dir(policy), name)
			}
		}
	}
	switch {
	case !byPulls && len(req.pullLogs) > 0:
		return req, usagef("--pull-log: no rule judges by pulls (--keep-pulled-within, --keep-last-pulled)")
	case !byPulls && req.allowPartial:
		return req, usagef("--allow-partial-history: no rule judges by pulls (--keep-pulled-within, --keep-last-pulled)")
	case c.IsSet("registry-host") && len(req.refFiles) == 0:
		return req, usagef("--registry-host: no rule keeps images in use (--keep-refs)")
	case c.IsSet("registry-host") && (req.host == "" || strings.ContainsAny(req.host, "/@ \t")):
		return req, usagef("--registry-host %q: want a host or host:port", req.host)
	}
	names := append([]string(nil), req.pullLogs...)
	for _, f := range req.refFiles {
		names = append(names, f)
	}
	return req, checkLogNames("--pull-log and --keep-refs", names)
}

// useReport is what prune judged use by, for its output.
type useReport struct {
	History     string       `json:"pull_history,omitempty"` // the file, when a rule judges by pulls
	Recorded    bool         `json:"recorded"`               // a history was recorded
	Coverage    []timeRange  `json:"coverage"`               // of the history with the --pull-log files
	Partial     string       `json:"partial_history,omitempty"`
	PullLogs    []logReport  `json:"pull_logs"`
	ImagesInUse []refsReport `json:"images_in_use"`
}

// refsReport is what one list of images in use held.
type refsReport struct {
	File         string `json:"file"`
	References   int    `json:"references"`
	OtherHosts   int    `json:"other_hosts"`    // set aside: another host than --registry-host
	NotInStorage int    `json:"not_in_storage"` // naming repositories the storage does not hold
}

// loadUse gathers the evidence the rules by use need, before the lock:
// the pull history with the --pull-log files, checked to cover what each
// pull rule judges (refused unless --allow-partial-history), and the
// lists of images in use. repos are the storage's repositories.
func loadUse(e *env, req *pruneRequest, repos []string) error {
	u := &req.use
	u.now, u.use.Slack = time.Now(), coverageSlack
	if err := u.loadPulls(e, req.rules, repos); err != nil {
		return err
	}
	return u.loadRefs(e, repos)
}

func (u *useRequest) loadPulls(e *env, rules []retention.Rule, repos []string) error {
	byPulls := false
	for _, r := range rules {
		byPulls = byPulls || r.UsesPulls()
	}
	if !byPulls {
		return nil
	}
	ctx := e.c.Context
	stored, err := loadHistory(ctx, e.st)
	if err != nil {
		return err
	}
	u.report = &useReport{History: historyPath(), Recorded: stored.h != nil, PullLogs: []logReport{}, ImagesInUse: []refsReport{}}
	h := stored.h
	if len(u.pullLogs) > 0 {
		if h == nil {
			h = pulls.New()
		}
		logs, err := readLogs(ctx, u.pullLogs, e.input(), u.now, h)
		if err != nil {
			return err
		}
		u.report.PullLogs = logReports(logs)
	}
	u.use.Pulls = h
	if h != nil {
		u.report.Coverage = timeRanges(h.Coverage())
	}
	err = retention.CheckCoverage(rules, retention.Governed(repos, rules), h, u.now, coverageSlack)
	if err == nil {
		return nil
	}
	var ce *retention.CoverageError
	if isCoverage := errors.As(err, &ce); !u.allowPartial || !isCoverage {
		return coverageRefusal(err, ce)
	}
	u.report.Partial = err.Error()
	return nil
}

// coverageRefusal says how to get the coverage a pull rule needs.
func coverageRefusal(err error, ce *retention.CoverageError) error {
	if ce == nil {
		return err
	}
	return fmt.Errorf("%w; record logs that cover it with regprune pulls record LOG... (or give them to this run "+
		"with --pull-log FILE), or judge by what is recorded with --allow-partial-history (then what was not "+
		"pulled since the history starts goes)", err)
}

// readChildren reads, for the tags of the repositories whose rule needs
// them (retention.NeedsChildren), every manifest their index reaches,
// through mans (the gc that follows reads through it too: each manifest
// is read once), at most jobs tags at a time. What cannot be read is kept
// in the tag's entry: Select keeps such a tag.
func readChildren(ctx context.Context, mans *scan.Manifests, rules []retention.Rule, use retention.Use, tags []storage.Tag, jobs int) (map[string]retention.Children, error) {
	need := map[string]bool{}
	var todo []storage.Tag
	for _, t := range tags {
		n, ok := need[t.Repository]
		if !ok {
			n = retention.NeedsChildren(t.Repository, rules, use)
			need[t.Repository] = n
		}
		if n && t.LinkErr == nil {
			todo = append(todo, t)
		}
	}
	kids := make([]retention.Children, len(todo))
	err := storage.Each(ctx, len(todo), jobs, func(ctx context.Context, i int) error {
		kids[i].Digests, kids[i].Err = scan.IndexChildren(ctx, mans, todo[i].Digest)
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]retention.Children, len(todo))
	for i, t := range todo {
		out[t.Ref()] = kids[i]
	}
	return out, nil
}
