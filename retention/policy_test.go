package retention

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/storage"
)

// describeRules prints rules in one line each, for comparisons.
func describeRules(rules []Rule) string {
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "%s repos=%q tags=%v exclude=%v older=%s keep=%d",
			r.Name, r.Repositories, r.Tags, r.ExcludeTags, FormatAge(r.OlderThan), r.KeepLast)
		if r.KeepPulledWithin > 0 || r.KeepLastPulled > 0 || r.KeepSemver > 0 || len(r.KeepRefs) > 0 {
			fmt.Fprintf(&b, " pulled_within=%s last_pulled=%d semver=%d refs=%q",
				FormatAge(r.KeepPulledWithin), r.KeepLastPulled, r.KeepSemver, r.KeepRefs)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestParsePolicy(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ in, want string }{
		"list": {`
- repositories: ["team/*", app]
  tags: pr-.*
  exclude_tags: [.*-keep, pr-1]
  older_than: 7d
- repositories: app
  keep_last: 10
  older_than: 36h
- tags: .*
  older_than: 2w
`, `p.yaml:2 repos=["team/*" "app"] tags=pr-.* exclude=[.*-keep pr-1] older=1w keep=0
p.yaml:6 repos=["app"] tags=<nil> exclude=[] older=36h keep=10
p.yaml:9 repos=[] tags=.* exclude=[] older=2w keep=0
`},
		"rules key": {"rules:\n  - keep_last: 0x10\n    exclude_tags: latest\n",
			"p.yaml:2 repos=[] tags=<nil> exclude=[latest] older=0s keep=16\n"},
		"numbers as text": {"- tags: 1\n  repositories: 123\n  older_than: 0\n",
			"p.yaml:1 repos=[\"123\"] tags=1 exclude=[] older=0s keep=0\n"},
		"by use": {"- repositories: app\n  keep_pulled_within: 30d\n  keep_last_pulled: 3\n  keep_refs: [pods.txt, /etc/images]\n" +
			"  keep_semver: 5\n- keep_refs: '-'\n",
			"p.yaml:1 repos=[\"app\"] tags=<nil> exclude=[] older=0s keep=0 pulled_within=30d last_pulled=3 semver=5 refs=[\"pods.txt\" \"/etc/images\"]\n" +
				"p.yaml:6 repos=[] tags=<nil> exclude=[] older=0s keep=0 pulled_within=0s last_pulled=0 semver=0 refs=[\"-\"]\n"},
		"aliases": {"- &r\n  repositories: &g [a, b]\n  keep_last: 2\n- repositories: *g\n  tags: x\n",
			"p.yaml:1 repos=[\"a\" \"b\"] tags=<nil> exclude=[] older=0s keep=2\np.yaml:4 repos=[\"a\" \"b\"] tags=x exclude=[] older=0s keep=0\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rules, err := ParsePolicy("dir/p.yaml", []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := describeRules(rules); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	t.Parallel()
	// want: the start of the message after the sentinel's text.
	cases := map[string]struct{ in, want string }{
		"empty":            {"", "p.yaml: no rules"},
		"empty list":       {"[]\n", "p.yaml:1: no rules"},
		"not yaml":         {"- a: [\n", "p.yaml: yaml: line 1"},
		"scalar":           {"hello\n", "p.yaml:1: want a list of rules"},
		"other top key":    {"version: 1\n", "p.yaml:1: want a list of rules, or a mapping"},
		"rules not a list": {"rules: 3\n", "p.yaml:1: want a list of rules"},
		"rule not a map":   {"- keep_last: 1\n- 3\n", "p.yaml:2: rule 2: want a mapping"},
		"unknown key":      {"- keep_last: 1\n  keep: 2\n", "p.yaml:2: keep: unknown key (a rule has repositories, tags,"},
		"twice":            {"- keep_last: 1\n  keep_last: 2\n", "p.yaml:2: keep_last: given twice in rule 1"},
		"bad regexp":       {"- tags: '['\n", "p.yaml:1: tags: tag regular expression \"[\""},
		"bad exclude":      {"- tags: x\n  exclude_tags:\n    - ok\n    - a(b\n", "p.yaml:4: exclude_tags: tag regular expression \"a(b\""},
		"empty exclude":    {"- tags: x\n  exclude_tags: []\n", "p.yaml:2: exclude_tags: empty list"},
		"bad duration":     {"- older_than: 3x\n", "p.yaml:1: older_than: bad duration: \"3x\""},
		"negative age":     {"- older_than: -3d\n", "p.yaml:1: older_than: bad duration: \"-3d\" is negative"},
		"null duration":    {"- older_than:\n", "p.yaml:1: older_than: want a single value"},
		"list duration":    {"- older_than: [1d]\n", "p.yaml:1: older_than: want a single value"},
		"bad keep_last":    {"- keep_last: ten\n", "p.yaml:1: keep_last: want a whole number, zero or more, not \"ten\""},
		"negative keep":    {"- keep_last: -1\n", "p.yaml:1: keep_last: want a whole number"},
		"float keep":       {"- keep_last: 1.5\n", "p.yaml:1: keep_last: want a whole number"},
		"bad glob":         {"- repositories: [a, 'b[']\n  keep_last: 1\n", "p.yaml:1: repositories: bad name: repository glob \"b[\""},
		"bad literal":      {"- repositories: [Upper]\n  keep_last: 1\n", "p.yaml:1: repositories: bad name: repository \"Upper\""},
		"empty glob":       {"- repositories: ''\n  keep_last: 1\n", "p.yaml:1: repositories: bad name: repository \"\": empty name"},
		"removes all":      {"- repositories: app\n", "p.yaml:1: rule 1 has none of tags, older_than, keep_last, keep_pulled_within, keep_last_pulled, keep_refs, keep_semver"},
		"zero keeps":       {"- keep_semver: 0\n  keep_last_pulled: 0\n", "p.yaml:1: rule 1 has none of"},
		"bad pull window":  {"- keep_pulled_within: 1.5d\n", "p.yaml:1: keep_pulled_within: bad duration: \"1.5d\""},
		"bad last pulled":  {"- keep_last_pulled: -2\n", "p.yaml:1: keep_last_pulled: want a whole number"},
		"bad semver":       {"- keep_semver: five\n", "p.yaml:1: keep_semver: want a whole number"},
		"empty refs":       {"- keep_refs: []\n", "p.yaml:1: keep_refs: empty list"},
		"null refs":        {"- keep_refs:\n", "p.yaml:1: keep_refs: want a single value"},
		"blank refs":       {"- keep_refs: ''\n", "p.yaml:1: keep_refs: want a file name"},
		"unreachable":      {"- keep_last: 1\n- repositories: a\n  keep_last: 2\n", "p.yaml:2: rule 2 can never apply: rule 1"},
		"two documents":    {"- keep_last: 1\n---\n- keep_last: 2\n", "p.yaml:2: more than one YAML document"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rules, err := ParsePolicy("p.yaml", []byte(c.in))
			if err == nil {
				t.Fatalf("no error; rules:\n%s", describeRules(rules))
			}
			if !errors.Is(err, storage.ErrBadPolicy) {
				t.Errorf("%v does not wrap ErrBadPolicy", err)
			}
			msg := strings.TrimPrefix(err.Error(), storage.ErrBadPolicy.Error()+": ")
			if !strings.HasPrefix(msg, c.want) {
				t.Errorf("error %q\nwant it to start %q", msg, c.want)
			}
		})
	}
}

func TestLoadPolicy(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "none.yaml")
	if _, err := LoadPolicy(missing); !errors.Is(err, storage.ErrBadPolicy) || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadPolicy(missing) = %v", err)
	}
	// The example shipped in docs/ must stay valid.
	rules, err := LoadPolicy(filepath.Join("..", "docs", "examples", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 2 || rules[len(rules)-1].OlderThan == 0 {
		t.Errorf("docs/examples/policy.yaml: unexpected rules:\n%s", describeRules(rules))
	}
}

// FuzzParsePolicy: no panic; every failure an ErrBadPolicy naming the
// file; every success a usable list of rules.
func FuzzParsePolicy(f *testing.F) {
	seeds := []string{
		"- repositories: [a/*]\n  tags: pr-.*\n  exclude_tags: [x]\n  older_than: 7d\n  keep_last: 3\n",
		"rules:\n  - keep_last: 1\n",
		"- &a {keep_last: 1, repositories: x}\n- *a\n",
		"- older_than: 1d12h\n", "- keep_last: -1\n",
		"- keep_pulled_within: 30d\n  keep_last_pulled: 2\n  keep_refs: [a, '-']\n  keep_semver: 3\n", "- tags: '['\n", "{}", "[]", "- : \n", "---\n---\n",
	}
	if b, err := os.ReadFile(filepath.Join("..", "docs", "examples", "policy.yaml")); err == nil {
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParsePolicy("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, storage.ErrBadPolicy) || !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %v: not an ErrBadPolicy naming the file", err)
			}
			return
		}
		if len(rules) == 0 {
			t.Fatal("no error and no rules")
		}
		for _, r := range rules {
			if !r.Limited() || r.OlderThan < 0 || r.KeepLast < 0 || r.KeepPulledWithin < 0 || r.KeepLastPulled < 0 || r.KeepSemver < 0 {
				t.Fatalf("rule %+v accepted", r)
			}
		}
		Select([]storage.Tag{{Repository: "a", Name: "b", Pushed: time.Unix(0, 0)}}, rules, time.Unix(1e9, 0))
	})
}

// keep_removed sits beside rules: read as a duration, refused when bad,
// given twice or in the list form.
func TestParsePolicyKeepRemoved(t *testing.T) {
	t.Parallel()
	pol, err := ParsePolicyFile("p.yaml", []byte("keep_removed: 7d\nrules:\n  - keep_last: 3\n"))
	if err != nil || !pol.KeepRemovedSet || pol.KeepRemoved != 7*24*time.Hour || len(pol.Rules) != 1 {
		t.Errorf("ParsePolicyFile = %+v, %v", pol, err)
	}
	pol, err = ParsePolicyFile("p.yaml", []byte("rules:\n  - keep_last: 3\n"))
	if err != nil || pol.KeepRemovedSet || pol.KeepRemoved != 0 {
		t.Errorf("ParsePolicyFile without keep_removed = %+v, %v", pol, err)
	}
	for in, want := range map[string]string{
		"keep_removed: soon\nrules:\n  - keep_last: 3\n":                 "p.yaml:1: keep_removed: ",
		"keep_removed: 1d\nkeep_removed: 2d\nrules:\n  - keep_last: 3\n": `p.yaml:2: want a list of rules, or a mapping of "rules" (the list) and "keep_removed", each once; not "keep_removed"`,
		"keep_removed: 1d\n":                   `p.yaml:1: want a list of rules, or a mapping with the key "rules"`,
		"- keep_removed: 1d\n  keep_last: 3\n": "p.yaml:1: keep_removed: unknown key",
	} {
		_, err := ParsePolicyFile("p.yaml", []byte(in))
		if !errors.Is(err, storage.ErrBadPolicy) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePolicyFile(%q) = %v, want an error saying %q", in, err, want)
		}
	}
}
