package docs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/shell"
	"github.com/regprune/regprune/retention"
	"gopkg.in/yaml.v3"
)

// yamlInvocations reads every document of a YAML file: containers whose
// image is regprune give their command line (the image's entrypoint is
// regprune, so args alone are its arguments); ConfigMap policies and policy
// files must parse.
func yamlInvocations(t *testing.T, p string, data []byte) []invocation {
	t.Helper()
	if filepath.Base(p) == "policy.yaml" {
		if _, err := retention.ParsePolicy(p, data); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []invocation
	for i := 1; ; i++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", p, i, err)
		}
		where := fmt.Sprintf("%s (document %d)", p, i)
		checkPolicies(t, where, doc)
		out = append(out, containerInvocations(where, doc)...)
	}
}

// checkPolicies parses the policy files a ConfigMap holds.
func checkPolicies(t *testing.T, where string, doc map[string]any) {
	t.Helper()
	if doc["kind"] != "ConfigMap" {
		return
	}
	data, _ := doc["data"].(map[string]any)
	for key, v := range data {
		if s, ok := v.(string); ok && strings.HasSuffix(key, ".yaml") {
			if _, err := retention.ParsePolicy(key, []byte(s)); err != nil {
				t.Errorf("%s: ConfigMap key %s: %v", where, key, err)
			}
		}
	}
}

// containerInvocations walks the document for containers running regprune.
func containerInvocations(where string, node any) []invocation {
	var out []invocation
	switch n := node.(type) {
	case map[string]any:
		if img, ok := n["image"].(string); ok && isRegpruneImage(strings.Split(img, "@")[0]) {
			argv := []string{"regprune"}
			if cmd := strings_(n["command"]); len(cmd) > 0 {
				argv = nil
				if isRegpruneProgram(cmd[0]) {
					argv = append([]string{"regprune"}, cmd[1:]...)
				}
			}
			if argv != nil {
				name, _ := n["name"].(string)
				out = append(out, invocation{where: where + " container " + name, argv: append(argv, strings_(n["args"])...)})
			}
		}
		for _, v := range n {
			out = append(out, containerInvocations(where, v)...)
		}
	case []any:
		for _, v := range n {
			out = append(out, containerInvocations(where, v)...)
		}
	}
	return out
}

func strings_(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// TestRecipeExtraction: the extraction finds what it must and rejects
// what it must, so that TestRecipesUseRealFlags cannot pass vacuously.
func TestRecipeExtraction(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{ // command line -> finds a valid regprune invocation
		"regprune --root /r tag ls":                                              true,
		"sudo REGPRUNE_QUIET=1 /usr/local/bin/regprune gc --dry-run":             true,
		"docker run --rm --volumes-from registry regprune:latest --root /r scan": true,
		"kubectl -n x exec pod -- /tmp/regprune prune --dry-run --tag x":         true,
		"docker exec registry regprune check":                                    true,
		"ExecStart=/usr/local/bin/regprune --quiet prune --policy /p.yaml":       true,
		"regprune --no-such-flag tag ls":                                         false,
		"regprune tag frobnicate":                                                false,
		"regprune gc --dry-run --grace soon":                                     false,
		"regprune tag rm 'a:b' --dry-run":                                        false,
		"regprune prune --keep-last":                                             false,
	}
	for line, valid := range cases {
		words, err := shellWords(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		argv := regpruneArgv(words, false)
		if argv == nil {
			t.Errorf("%q: no invocation found", line)
			continue
		}
		if err := validateArgs(argv); (err == nil) != valid {
			t.Errorf("%q: validation error %v, want valid=%v", line, err, valid)
		}
	}
	for _, line := range []string{"kubectl logs job/regprune -c prune", "kubectl cp bin/regprune pod:/tmp/regprune", "echo regprune"} {
		words, _ := shellWords(line)
		if argv := regpruneArgv(words, false); argv != nil {
			t.Errorf("%q: found %q, which is not an invocation", line, argv)
		}
	}
}

func shellWords(line string) ([]string, error) {
	segs := commandSegments(line)
	if len(segs) != 1 {
		return nil, fmt.Errorf("%d segments", len(segs))
	}
	return shell.Words(segs[0], nil)
}
