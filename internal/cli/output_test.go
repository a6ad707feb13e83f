package cli

import (
	"testing"
	"time"
)

func TestIECBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		1288490189: "1.2 GiB", 5 << 40: "5.0 TiB", 1 << 62: "4.0 EiB"} {
		if got := iecBytes(n); got != want {
			t.Errorf("iecBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHumanAgeAndPlural(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{0: "0s", 59 * time.Second: "59s", 90 * time.Minute: "1h",
		47 * time.Hour: "47h", 49 * time.Hour: "2d", -time.Second: "-1s"} {
		if got := humanAge(d); got != want {
			t.Errorf("humanAge(%s) = %q, want %q", d, got, want)
		}
	}
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{{0, "tag", "0 tags"}, {1, "tag", "1 tag"}, {2, "repository", "2 repositories"}, {1, "repository", "1 repository"}} {
		if got := plural(c.n, c.noun); got != c.want {
			t.Errorf("plural(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}
