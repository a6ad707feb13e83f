package retention

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/regprune/regprune/storage"
)

// durationForms says what ParseDuration accepts, for error messages.
const durationForms = "want a Go duration (36h, 90m, 1h30m) or a whole number of days or weeks (30d, 2w)"

// Units ParseDuration adds to Go's.
var longUnits = map[byte]time.Duration{
	'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour,
}

// ParseDuration reads an age: a Go duration ("36h", "90m", "1h30m") or a
// whole number of days or weeks ("30d", "2w"). Negative ages, fractions of
// days or weeks, mixed forms ("1d12h") and ages beyond time.Duration's
// range (about 292 years) are errors wrapping storage.ErrBadDuration.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty: %s", storage.ErrBadDuration, durationForms)
	}
	if unit, ok := longUnits[s[len(s)-1]]; ok {
		return parseLong(s, unit)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %q: %s", storage.ErrBadDuration, s, durationForms)
	}
	if d < 0 {
		return 0, fmt.Errorf("%w: %q is negative: an age is zero or more", storage.ErrBadDuration, s)
	}
	return d, nil
}

// parseLong reads "<digits>d" or "<digits>w".
func parseLong(s string, unit time.Duration) (time.Duration, error) {
	num := s[:len(s)-1]
	if num == "" || strings.Trim(num, "0123456789") != "" {
		if strings.HasPrefix(num, "-") {
			return 0, fmt.Errorf("%w: %q is negative: an age is zero or more", storage.ErrBadDuration, s)
		}
		return 0, fmt.Errorf("%w: %q: days and weeks take a whole number; %s", storage.ErrBadDuration, s, durationForms)
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > uint64(math.MaxInt64/int64(unit)) {
		return 0, fmt.Errorf("%w: %q is too long (at most %d%c)", storage.ErrBadDuration, s,
			math.MaxInt64/int64(unit), s[len(s)-1])
	}
	return time.Duration(n) * unit, nil
}

// FormatAge prints an age the way ParseDuration reads it, in the largest
// unit that divides it: 30d, 2w, 36h, 90m, 1h30m0s.
func FormatAge(d time.Duration) string {
	switch {
	case d > 0 && d%longUnits['w'] == 0:
		return strconv.FormatInt(int64(d/longUnits['w']), 10) + "w"
	case d > 0 && d%longUnits['d'] == 0:
		return strconv.FormatInt(int64(d/longUnits['d']), 10) + "d"
	case d > 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	default:
		return d.String()
	}
}
