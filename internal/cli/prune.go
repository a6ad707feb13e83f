package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/internal/metrics"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/scan"
	"github.com/regprune/regprune/storage"
	"github.com/urfave/cli/v2"
)

func pruneCommand(g *globals) *cli.Command {
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "dry-run", Usage: "list the tags that would go and what gc would free; change nothing"},
		&cli.StringSliceFlag{Name: "repo", Usage: "only repositories matching `GLOB` (repeatable; * does not cross /)"},
		&cli.StringFlag{Name: "tag", Usage: "only tags whose whole name matches `REGEX` (Go syntax: 'pr-.*', not 'pr-*')"},
		&listFlag{GenericFlag: cli.GenericFlag{Name: "exclude-tag", Value: &stringList{},
			Usage: "never tags whose whole name matches `REGEX` (repeatable; commas are part of the expression)"}},
		&cli.StringFlag{Name: "older-than", Usage: "only tags pushed more than `DUR` ago (36h, 30d, 2w)"},
		&cli.IntFlag{Name: "keep-last", Usage: "in each repository keep the `N` most recently pushed candidates"},
		&cli.StringFlag{Name: "policy", Usage: "rules from a YAML `FILE` instead of the flags above (see docs/prune.md)"},
		&cli.BoolFlag{Name: "all", Usage: "allow a prune with no --tag, --older-than, --keep-last: every tag of the repositories goes"},
		&cli.BoolFlag{Name: "no-gc", Usage: "only remove tags; do not run gc --delete-untagged afterwards"},
	}
	return &cli.Command{
		Name:      "prune",
		Usage:     "remove tags by name, age, count, use or policy, then gc --delete-untagged",
		ArgsUsage: " ",
		Description: "Candidates are the tags of the repositories matching --repo (all when none) whose name matches --tag\n" +
			"and no --exclude-tag. Tag patterns are Go regular expressions matching the whole tag name (as GitLab's\n" +
			"cleanup policies): --tag 'pr-.*' selects pr-1, never app-pr-1; --exclude-tag 'v1' keeps v1, not v10. Of those, --keep-last N keeps the N most recently pushed in each repository and\n" +
			"--older-than DUR removes only those pushed more than DUR ago. Referrer tags (sha256-<hex>, .sig, .att,\n" +
			".sbom) are never candidates: gc removes them with their subject. The rules by use keep candidates too:\n" +
			"--keep-refs FILE the images in use it lists, --keep-pulled-within DUR those pulled (or pushed) within DUR\n" +
			"and --keep-last-pulled N the N most recently pulled, by the pull history (pulls record) and --pull-log\n" +
			"files, --keep-semver N the N highest versions. A pull rule needs a history covering what it judges\n" +
			"(else exit 1, unless --allow-partial-history). --policy FILE takes the rules from a YAML file instead.\n" +
			"Then, unless --no-gc, gc --delete-untagged runs under the same lock with the gc flags.\n" +
			"Every removed tag is recorded in the journal first (regprune restore puts it back); --keep-removed DUR\n" +
			"(or the policy's keep_removed) keeps what tags removed within DUR reach, so that restore still can.",
		Flags:  append(append(flags, useFlags()...), sharedGCFlags()...),
		Action: func(c *cli.Context) error { return runPrune(g, c) },
	}
}

// pruneRequest is everything prune was asked, checked.
type pruneRequest struct {
	rules     []retention.Rule
	repoGlobs []string
	gc        gcFlagValues
	dryRun    bool
	noGC      bool
	use       useRequest       // the rules by use (prune_use.go)
	journal   *storage.Journal // the run's journal (nil in a dry run)
}

func runPrune(g *globals, c *cli.Context) error {
	req, err := readPruneFlags(c)
	if err != nil {
		return err
	}
	e, err := g.open(c)
	if err != nil {
		return err
	}
	repos, err := pruneRepositories(e, req)
	if err != nil {
		return err
	}
	if err := loadUse(e, &req, repos); err != nil {
		return err
	}
	if !req.dryRun {
		lk, err := e.lock()
		if err != nil {
			return err
		}
		defer lk.Unlock()
		if req.journal, err = e.beginJournal(req.gc.JournalRetention); err != nil {
			return err
		}
	}
	res, err := prunePlan(e, req, repos)
	if err != nil {
		return err
	}
	if err := pruneCheckGC(e, req, res); err != nil {
		return printRefusal(e, err)
	}
	if !req.dryRun {
		err = pruneRemove(e, req, res)
	}
	if err == nil && !req.noGC {
		err = pruneGC(e, req, res)
	}
	recordPrune(e, req, res)
	if err != nil && !res.changed(req) {
		return printRefusal(e, err) // nothing changed: no summary
	}
	if perr := printPrune(e, req, res); perr != nil && err == nil {
		err = perr
	}
	if res.gc != nil {
		if err == nil {
			err = malformedError(*res.gc)
		}
		graceHint(e, req.gc, *res.gc)
	}
	return err
}

// changed says whether the run changed the storage: removed a tag, or
// its gc removed something.
func (res *pruneResult) changed(req pruneRequest) bool {
	if req.dryRun {
		return false
	}
	return len(res.removed) > 0 || res.gc != nil && res.gc.Removed != (gc.Counts{})
}

// recordPrune reports to --metrics-file what prune and its gc removed.
func recordPrune(e *env, req pruneRequest, res *pruneResult) {
	if req.dryRun {
		e.stats.DryRun()
	}
	e.stats.Removed(metrics.Removed{Tags: len(res.removed)}, 0)
	if res.gc != nil {
		e.stats.Removed(metricsOf(res.gc.Removed), res.gc.FreedBytes)
	}
}

// readPruneFlags checks every flag, the policy file included, before
// anything is opened or locked.
func readPruneFlags(c *cli.Context) (pruneRequest, error) {
	req := pruneRequest{dryRun: c.Bool("dry-run"), noGC: c.Bool("no-gc"), repoGlobs: c.StringSlice("repo")}
	if c.NArg() > 0 {
		return req, usagef("prune takes no arguments (use --repo GLOB and --tag REGEX)")
	}
	var err error
	if req.gc, err = readGCFlags(c); err != nil {
		return req, err
	}
	p := c.String("policy")
	if p != "" {
		var pol retention.Policy
		if pol, err = policyRules(c, p); err == nil {
			req.rules = pol.Rules
			err = policyWindow(&req, pol, p)
		}
	} else {
		req.rules, err = flagRules(c, req.repoGlobs)
	}
	if err != nil {
		return req, err
	}
	req.use, err = readUseFlags(c, req.rules, p)
	return req, err
}

// ruleFlags are the flags that make the rule when there is no --policy.
var ruleFlags = append([]string{"repo", "tag", "exclude-tag", "older-than", "keep-last", "all"}, useRuleFlags...)

// policyRules loads the policy file; it cannot be mixed with rule flags.
// Its keep_removed gives --keep-removed when the flag is not given.
func policyRules(c *cli.Context, p string) (retention.Policy, error) {
	for _, f := range ruleFlags {
		if c.IsSet(f) {
			return retention.Policy{}, usagef("--policy and --%s cannot be combined: the policy file says which repositories and tags", f)
		}
	}
	pol, err := retention.LoadPolicyFile(p)
	if err != nil {
		return retention.Policy{}, fmt.Errorf("%w: %w", storage.ErrUsage, err)
	}
	return pol, nil
}

// flagRules makes the one rule of --repo, --tag, --exclude-tag,
// --older-than and --keep-last, refusing one that would remove every tag.
func flagRules(c *cli.Context, globs []string) ([]retention.Rule, error) {
	r := retention.Rule{Name: "flags", Repositories: globs, KeepLast: c.Int("keep-last")}
	for _, g := range globs {
		if err := storage.CheckRepositoryPattern(g); err != nil {
			return nil, usagef("--repo: %v", err)
		}
	}
	var err error
	if c.IsSet("tag") {
		if r.Tags, err = retention.CompileTagPattern(c.String("tag")); err != nil {
			return nil, usagef("--tag: %v", err)
		}
	}
	for _, x := range c.Generic("exclude-tag").(*stringList).values {
		re, err := retention.CompileTagPattern(x)
		if err != nil {
			return nil, usagef("--exclude-tag: %v", err)
		}
		r.ExcludeTags = append(r.ExcludeTags, re)
	}
	if c.IsSet("older-than") {
		if r.OlderThan, err = retention.ParseDuration(c.String("older-than")); err != nil {
			return nil, usagef("--older-than: %v", err)
		}
	}
	if r.KeepLast < 0 {
		return nil, usagef("--keep-last %d: want 0 or more", r.KeepLast)
	}
	if err := flagUseRule(c, &r); err != nil {
		return nil, err
	}
	if !c.IsSet("tag") && !c.IsSet("older-than") && !c.IsSet("keep-last") && !r.Limited() && !c.Bool("all") {
		return nil, usagef("prune without --tag, --older-than, --keep-last, a --keep rule or --policy would remove " +
			"every tag of the repositories it selects; add --all if that is what you want")
	}
	return []retention.Rule{r}, nil
}

// pruneResult is what prune decided and did, for printing.
type pruneResult struct {
	decisions  []retention.Decision // every tag of every governed repository
	removed    []retention.Decision // removed (or, in a dry run, to remove)
	skipped    []leftInPlace        // chosen but left in place
	gc         *gcSummary           // nil with --no-gc or when stopped before gc
	gcPlan     *gc.Plan             // a dry run's gc plan, for --json
	warnings   []string             // about the rules (nearMissWarnings)
	ungoverned int                  // repositories no rule governs (not read)
	use        *useReport           // what the rules by use judged by; nil without them
	manifests  *scan.Manifests      // read for the rules by use; gc reads through it too
}

// pruneRepositories lists the repositories and checks that every --repo
// glob matches one of them.
func pruneRepositories(e *env, req pruneRequest) ([]string, error) {
	cat, err := catalog(e.c.Context, e.st, req.gc.Jobs)
	if err != nil {
		return nil, err
	}
	repos := cat.Repositories
	for _, g := range req.repoGlobs {
		if len(scan.MatchRepositories(g, repos)) == 0 {
			if s, ok := strayFor(cat, g); ok {
				return nil, fmt.Errorf("--repo %q: %w", g, strayError(s))
			}
			return nil, fmt.Errorf("--repo %q: %w: no repository matches", g, storage.ErrNoMatch)
		}
	}
	return repos, nil
}

// prunePlan reads the tags of the governed repositories and decides.
func prunePlan(e *env, req pruneRequest, repos []string) (*pruneResult, error) {
	governed := retention.Governed(repos, req.rules)
	tags, err := scan.ReadTagsOf(e.c.Context, e.st, governed, req.gc.Jobs)
	if err != nil {
		return nil, err
	}
	use, mans := req.use.use, e.manifests()
	if use.Children, err = readChildren(e.c.Context, mans, req.rules, use, tags, req.gc.Jobs); err != nil {
		return nil, err
	}
	res := &pruneResult{decisions: retention.SelectUse(tags, req.rules, req.use.now, use), ungoverned: len(repos) - len(governed),
		use: req.use.report, manifests: mans}
	for _, d := range res.decisions {
		if d.Remove {
			res.removed = append(res.removed, d)
		}
	}
	res.warnings = nearMissWarnings(retention.NearMisses(res.decisions, req.rules))
	for _, w := range res.warnings {
		fmt.Fprintf(e.stderr, "regprune: warning: %s\n", w)
	}
	return res, nil
}

// leftInPlace is a tag retention chose that prune did not remove, and why.
type leftInPlace struct {
	Decision retention.Decision
	Why      string
}

// pruneRemove removes the chosen tags. On failure what was removed so far
// is still reported.
func pruneRemove(e *env, req pruneRequest, res *pruneResult) error {
	chosen := make(map[string]retention.Decision, len(res.removed))
	tags := make([]storage.Tag, len(res.removed))
	for i, d := range res.removed {
		chosen[d.Tag.Ref()], tags[i] = d, d.Tag
	}
	removed, skipped, err := scan.RemoveTags(e.c.Context, e.st, req.journal, tags, req.gc.Jobs)
	res.removed, res.skipped = nil, nil
	for _, t := range removed {
		d := chosen[t.Ref()]
		res.removed = append(res.removed, d)
		e.log.Debug("prune: removed tag", "repository", t.Repository, "tag", t.Name, "digest", t.Digest, "rule", d.Rule)
	}
	for _, s := range skipped {
		res.skipped = append(res.skipped, leftInPlace{Decision: chosen[s.Tag.Ref()], Why: s.Why})
	}
	if err != nil && e.c.Context.Err() != nil {
		return fmt.Errorf("%w: stopped after removing %d tags: %w", storage.ErrInterrupted, len(removed), err)
	}
	if err != nil {
		return fmt.Errorf("stopped after removing %d tags, before gc: %w", len(removed), err)
	}
	return nil
}

// listFlag is a repeatable string flag that, unlike cli.StringSliceFlag,
// never splits its values on commas: regular expressions contain them.
type listFlag struct{ cli.GenericFlag }

// Apply gives each run its own list, so that concurrent runs share nothing.
func (f *listFlag) Apply(set *flag.FlagSet) error {
	g := f.GenericFlag
	g.Value = &stringList{}
	return g.Apply(set)
}

// stringList collects the values of a listFlag.
type stringList struct{ values []string }

func (l *stringList) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	l.values = append(l.values, v)
	return nil
}

func (l *stringList) String() string { return strings.Join(l.values, " ") }
