package retention

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/storage"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	good := map[string]time.Duration{
		"30d":                30 * day,
		"2w":                 14 * day,
		"36h":                36 * time.Hour,
		"90m":                90 * time.Minute,
		"1h30m":              90 * time.Minute,
		"1.5h":               90 * time.Minute,
		"0":                  0,
		"0d":                 0,
		"007d":               7 * day,
		"106751d":            106751 * day,
		"15250w":             15250 * 7 * day,
		"2562047h47m16.854s": 2562047*time.Hour + 47*time.Minute + 16854*time.Millisecond,
	}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                      "empty",
		"-1h":                   "negative",
		"-3d":                   "negative",
		"1.5d":                  "whole number",
		"0.5w":                  "whole number",
		"d":                     "whole number",
		"+3d":                   "whole number",
		"3 d":                   "whole number",
		"1d12h":                 "30d, 2w",
		"3x":                    "30d, 2w",
		"30":                    "30d, 2w",
		"106752d":               "too long",
		"99999999999999999999w": "too long",
		"3000000h":              "30d, 2w",
	}
	for in, want := range bad {
		_, err := ParseDuration(in)
		if err == nil || !errors.Is(err, storage.ErrBadDuration) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDuration(%q) = %v; want an ErrBadDuration saying %q", in, err, want)
		}
	}
}

func TestFormatAge(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		14 * 24 * time.Hour: "2w",
		30 * 24 * time.Hour: "30d",
		36 * time.Hour:      "36h",
		90 * time.Minute:    "90m",
		90 * time.Second:    "1m30s",
		0:                   "0s",
	} {
		if got := FormatAge(d); got != want {
			t.Errorf("FormatAge(%v) = %q, want %q", d, got, want)
		}
		if d > 0 {
			if back, err := ParseDuration(FormatAge(d)); err != nil || back != d {
				t.Errorf("ParseDuration(FormatAge(%v)) = %v, %v", d, back, err)
			}
		}
	}
}

// FuzzParseDuration: no panic; every failure an ErrBadDuration saying what
// is accepted or what is wrong; every success non-negative and printable
// back to the same duration.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "2w", "36h", "1h30m", "-1h", "1.5d", "", "9223372036854775807w", "1d12h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !errors.Is(err, storage.ErrBadDuration) {
				t.Fatalf("ParseDuration(%q): error %v does not wrap ErrBadDuration", s, err)
			}
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		if back, err := ParseDuration(FormatAge(d)); err != nil || back != d {
			t.Fatalf("ParseDuration(FormatAge(%v)) = %v, %v", d, back, err)
		}
	})
}
