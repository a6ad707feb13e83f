package s3

import (
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/regtest"
	"github.com/regprune/regprune/internal/s3proxy"
)

// gc --dry-run through s3proxy (which counts the requests in flight) with
// --jobs 1 and --jobs 8: one request at a time, then several; the same
// plan, byte for byte.
func testS3ParallelListings(t *testing.T, e *s3Env) {
	for i, repo := range []string{"a", "b", "c/nested"} {
		e.r.PushImage(t, repo+":old", regtest.WithLayers(2, 128))
		e.r.PushImage(t, repo+":v1", regtest.WithLayers(1+i, 128))
		e.run(t, 0, "tag", "rm", repo+":old")
	}
	u, err := url.Parse(e.srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := s3proxy.New(u, time.Millisecond)
	ts := httptest.NewServer(proxy)
	t.Cleanup(ts.Close)
	cfg := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(cfg, []byte(strings.Replace(e.srv.ConfigYAML(e.bucket), e.srv.Endpoint, ts.URL, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	var plans []string
	for _, jobs := range []string{"1", "8"} {
		proxy.Stats(true)
		res := mustRun(t, 0, "--config", cfg, "--json", "gc", "--dry-run", "--delete-untagged", "--grace", "0", "--jobs", jobs)
		c := proxy.Stats(true)
		if jobs == "1" && c.InFlightMax != 1 || jobs == "8" && c.InFlightMax < 2 {
			t.Errorf("--jobs %s: %d requests in flight at most", jobs, c.InFlightMax)
		}
		plans = append(plans, res.Stdout)
	}
	if plans[0] != plans[1] || strings.Count(plans[0], `"repository": "`) < 3 || strings.Contains(plans[0], `"manifests": []`) {
		t.Errorf("plans differ or remove nothing:\n--jobs 1:\n%s\n--jobs 8:\n%s", plans[0], plans[1])
	}
}
