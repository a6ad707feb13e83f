package retention

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/regprune/regprune/storage"
	"gopkg.in/yaml.v3"
)

// Policy file keys.
const (
	keyRules        = "rules"
	keyRepositories = "repositories"
	keyTags         = "tags"
	keyExcludeTags  = "exclude_tags"
	keyOlderThan    = "older_than"
	keyKeepLast     = "keep_last"

	keyKeepPulledWithin = "keep_pulled_within"
	keyKeepLastPulled   = "keep_last_pulled"
	keyKeepRefs         = "keep_refs"
	keyKeepSemver       = "keep_semver"

	keyKeepRemoved = "keep_removed" // beside rules: gc's --keep-removed window
)

var ruleKeys = []string{keyRepositories, keyTags, keyExcludeTags, keyOlderThan, keyKeepLast,
	keyKeepPulledWithin, keyKeepLastPulled, keyKeepRefs, keyKeepSemver}

// limitKeys are the keys of which a rule needs one: without any, it would
// remove every tag of its repositories.
var limitKeys = []string{keyTags, keyOlderThan, keyKeepLast, keyKeepPulledWithin, keyKeepLastPulled, keyKeepRefs, keyKeepSemver}

// LoadPolicy reads and checks the retention policy file at path.
func LoadPolicy(path string) ([]Rule, error) {
	p, err := LoadPolicyFile(path)
	return p.Rules, err
}

// Policy is a policy file: its rules and, when the file sets it
// (keep_removed: DUR), gc's --keep-removed window.
type Policy struct {
	Rules          []Rule
	KeepRemoved    time.Duration
	KeepRemovedSet bool
}

// LoadPolicyFile reads and checks the policy file at path.
func LoadPolicyFile(path string) (Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("%w: %w", storage.ErrBadPolicy, err)
	}
	return ParsePolicyFile(path, data)
}

// ParsePolicy reads a retention policy: a YAML list of rules, or a mapping
// whose only key, rules, holds that list. Each rule is a mapping with the
// keys repositories (a glob or a list of globs; absent: every repository),
// tags (a regular expression), exclude_tags (one or a list), older_than (as
// ParseDuration) and keep_last (a whole number), and the keys by use:
// keep_pulled_within (a duration), keep_last_pulled and keep_semver (whole
// numbers), keep_refs (a file name or a list of them, as written: the
// command reads them). Every error wraps storage.ErrBadPolicy and names
// the file (name), the line and the key.
func ParsePolicy(name string, data []byte) ([]Rule, error) {
	pol, err := ParsePolicyFile(name, data)
	return pol.Rules, err
}

// ParsePolicyFile reads a policy as ParsePolicy does; the mapping form
// may also set keep_removed (a duration, as ParseDuration): how long gc
// keeps the images of removed tags restorable.
func ParsePolicyFile(name string, data []byte) (Policy, error) {
	p := policyParser{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Policy{}, fmt.Errorf("%w: %s: no rules (the file is empty)", storage.ErrBadPolicy, name)
		}
		return Policy{}, fmt.Errorf("%w: %s: %w", storage.ErrBadPolicy, name, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return Policy{}, p.errorf(&more, "", "more than one YAML document; put every rule in one list")
	}
	var pol Policy
	list, err := p.ruleList(&doc, &pol)
	if err != nil {
		return Policy{}, err
	}
	if pol.Rules, err = p.rules(list); err != nil {
		return Policy{}, err
	}
	return pol, nil
}

type policyParser struct{ file string }

// errorf is an ErrBadPolicy naming the file, n's line and the key.
func (p policyParser) errorf(n *yaml.Node, key, format string, args ...any) error {
	where := fmt.Sprintf("%s:%d", p.file, n.Line)
	if key != "" {
		where += ": " + key
	}
	return fmt.Errorf("%w: %s: %s", storage.ErrBadPolicy, where, fmt.Sprintf(format, args...))
}

// deref follows aliases (*name) to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// ruleList finds the list of rules: the document itself or its rules key
// (beside which keep_removed may be set, into pol).
func (p policyParser) ruleList(doc *yaml.Node, pol *Policy) (*yaml.Node, error) {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = deref(n.Content[0])
	}
	if n.Kind == yaml.MappingNode {
		var rules *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], deref(n.Content[i+1])
			switch {
			case k.Value == keyRules && rules == nil:
				rules = v
			case k.Value == keyKeepRemoved && !pol.KeepRemovedSet:
				s, err := p.scalar(k, v)
				if err == nil {
					if pol.KeepRemoved, err = ParseDuration(s); err != nil {
						err = p.errorf(v, k.Value, "%v", err)
					}
				}
				if err != nil {
					return nil, err
				}
				pol.KeepRemovedSet = true
			default:
				return nil, p.errorf(k, "", "want a list of rules, or a mapping of %q (the list) and %q, each once; not %q",
					keyRules, keyKeepRemoved, k.Value)
			}
		}
		if rules == nil {
			return nil, p.errorf(n, "", "want a list of rules, or a mapping with the key %q", keyRules)
		}
		n = rules
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "", "want a list of rules (each a mapping with keys %s)", strings.Join(ruleKeys, ", "))
	}
	return n, nil
}

// rules reads every rule of list.
func (p policyParser) rules(list *yaml.Node) ([]Rule, error) {
	if len(list.Content) == 0 {
		return nil, p.errorf(list, "", "no rules")
	}
	rules := make([]Rule, 0, len(list.Content))
	catchAll := 0
	for i, n := range list.Content {
		r, err := p.rule(deref(n), i+1)
		if err != nil {
			return nil, err
		}
		if catchAll > 0 {
			return nil, p.errorf(n, "", "rule %d can never apply: rule %d has no %s and so governs every repository",
				i+1, catchAll, keyRepositories)
		}
		if len(r.Repositories) == 0 {
			catchAll = i + 1
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// rule reads the num-th rule.
func (p policyParser) rule(n *yaml.Node, num int) (Rule, error) {
	if n.Kind != yaml.MappingNode {
		return Rule{}, p.errorf(n, "", "rule %d: want a mapping with keys %s", num, strings.Join(ruleKeys, ", "))
	}
	r := Rule{Name: fmt.Sprintf("%s:%d", filepath.Base(p.file), n.Line)}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if seen[k.Value] {
			return Rule{}, p.errorf(k, k.Value, "given twice in rule %d", num)
		}
		seen[k.Value] = true
		if err := p.field(&r, k, v); err != nil {
			return Rule{}, err
		}
	}
	if !r.Limited() {
		return Rule{}, p.errorf(n, "", "rule %d has none of %s: it would remove every tag of its repositories "+
			"(write %s: \".*\" if that is meant)", num, strings.Join(limitKeys, ", "), keyTags)
	}
	return r, nil
}

// field reads one key of a rule into r.
func (p policyParser) field(r *Rule, k, v *yaml.Node) error {
	var err error
	switch k.Value {
	case keyRepositories:
		r.Repositories, err = p.globs(k, v)
	case keyTags:
		var s string
		if s, err = p.scalar(k, v); err == nil {
			r.Tags, err = p.regexp(k, v, s)
		}
	case keyExcludeTags:
		r.ExcludeTags, err = p.regexps(k, v)
	case keyOlderThan:
		r.OlderThan, err = p.duration(k, v)
	case keyKeepLast:
		r.KeepLast, err = p.count(k, v)
	case keyKeepPulledWithin:
		r.KeepPulledWithin, err = p.duration(k, v)
	case keyKeepLastPulled:
		r.KeepLastPulled, err = p.count(k, v)
	case keyKeepSemver:
		r.KeepSemver, err = p.count(k, v)
	case keyKeepRefs:
		r.KeepRefs, err = p.files(k, v)
	default:
		err = p.errorf(k, k.Value, "unknown key (a rule has %s)", strings.Join(ruleKeys, ", "))
	}
	return err
}

// duration reads an age (ParseDuration).
func (p policyParser) duration(k, v *yaml.Node) (time.Duration, error) {
	s, err := p.scalar(k, v)
	if err != nil {
		return 0, err
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, p.errorf(v, k.Value, "%v", err)
	}
	return d, nil
}

// files reads one file name or a list of them ("-" is standard input).
func (p policyParser) files(k, v *yaml.Node) ([]string, error) {
	ns, err := p.scalars(k, v)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ns))
	for i, n := range ns {
		if n.Value == "" || strings.ContainsRune(n.Value, 0) {
			return nil, p.errorf(n, k.Value, "want a file name")
		}
		out[i] = n.Value
	}
	return out, nil
}

// scalar is v's text; null, lists and mappings are errors.
func (p policyParser) scalar(k, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		return "", p.errorf(v, k.Value, "want a single value")
	}
	return v.Value, nil
}

// scalars is v as a list of scalars: one scalar or a list of them.
func (p policyParser) scalars(k, v *yaml.Node) ([]*yaml.Node, error) {
	if v.Kind != yaml.SequenceNode {
		_, err := p.scalar(k, v)
		return []*yaml.Node{v}, err
	}
	if len(v.Content) == 0 {
		return nil, p.errorf(v, k.Value, "empty list")
	}
	out := make([]*yaml.Node, len(v.Content))
	for i, e := range v.Content {
		out[i] = deref(e)
		if _, err := p.scalar(k, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// globs reads repository globs, checking their syntax.
func (p policyParser) globs(k, v *yaml.Node) ([]string, error) {
	ns, err := p.scalars(k, v)
	if err != nil {
		return nil, err
	}
	gs := make([]string, len(ns))
	for i, n := range ns {
		if err := storage.CheckRepositoryPattern(n.Value); err != nil {
			return nil, p.errorf(n, k.Value, "%v", err)
		}
		gs[i] = n.Value
	}
	return gs, nil
}

// regexps reads one tag pattern or a list of them.
func (p policyParser) regexps(k, v *yaml.Node) ([]*TagPattern, error) {
	ns, err := p.scalars(k, v)
	if err != nil {
		return nil, err
	}
	out := make([]*TagPattern, len(ns))
	for i, n := range ns {
		if out[i], err = p.regexp(k, n, n.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p policyParser) regexp(k, v *yaml.Node, s string) (*TagPattern, error) {
	re, err := CompileTagPattern(s)
	if err != nil {
		return nil, p.errorf(v, k.Value, "%v", err)
	}
	return re, nil
}

// count reads a whole number, zero or more.
func (p policyParser) count(k, v *yaml.Node) (int, error) {
	var n int
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || v.Decode(&n) != nil || n < 0 {
		return 0, p.errorf(v, k.Value, "want a whole number, zero or more, not %q", v.Value)
	}
	return n, nil
}
