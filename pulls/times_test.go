package pulls

import (
	"testing"
	"time"
)

func TestParseRFC3339(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" when refused
	}{
		{"2026-12-02T06:59:52.053Z", "2026-12-02T06:59:52Z"},
		{"2026-12-02T06:59:52Z", "2026-12-02T06:59:52Z"},
		{"2026-12-02T06:59:52.123456789Z", "2026-12-02T06:59:52Z"},
		{"2026-12-02T07:59:52.5+01:00", "2026-12-02T06:59:52Z"},
		{"2026-12-01T23:59:59-07:30", "2026-12-02T07:29:59Z"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"1970-01-01T00:00:01Z", "1970-01-01T00:00:01Z"},
		{"1970-01-01T00:00:00Z", ""}, // before the first second a history holds
		{"0001-01-01T00:00:00Z", ""},
		{"9999-12-31T23:59:59-01:00", ""},
		{"2023-02-29T00:00:00Z", ""},
		{"2026-13-02T06:59:52Z", ""},
		{"2026-12-02T24:00:00Z", ""},
		{"2026-12-02T06:60:00Z", ""},
		{"2026-12-02T06:59:60Z", ""},
		{"2026-12-02 06:59:52Z", ""},
		{"2026-12-02T06:59:52", ""},
		{"2026-12-02T06:59:52.Z", ""},
		{"2026-12-02T06:59:52.1234567890Z", ""},
		{"2026-12-02T06:59:52+0100", ""},
		{"2026-12-02T06:59:52+24:00", ""},
		{"+026-12-02T06:59:52Z", ""},
		{"2026-12-02t06:59:52z", ""},
	} {
		got, ok := parseRFC3339([]byte(tc.in))
		switch {
		case tc.want == "" && ok:
			t.Errorf("%q: read as %v, want refused", tc.in, unixTime(got))
		case tc.want != "" && !ok:
			t.Errorf("%q: refused", tc.in)
		case ok && unixTime(got).Format(time.RFC3339) != tc.want:
			t.Errorf("%q: %v, want %s", tc.in, unixTime(got), tc.want)
		}
	}
}

func TestParseCommonLog(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"02/Dec/2026:06:59:51 +0000", "2026-12-02T06:59:51Z"},
		{"02/Dec/2026:07:59:51 +0100", "2026-12-02T06:59:51Z"},
		{"01/Jan/2026:23:00:00 -0230", "2026-01-02T01:30:00Z"},
		{"29/Feb/2028:00:00:00 +0000", "2028-02-29T00:00:00Z"},
		{"29/Feb/2027:00:00:00 +0000", ""},
		{"02/dec/2026:06:59:51 +0000", ""},
		{"02/Dec/2026:06:59:51 0000", ""},
		{"02/Dec/2026 06:59:51 +0000", ""},
		{"2/Dec/2026:06:59:51 +0000", ""},
	} {
		got, ok := parseCommonLog([]byte(tc.in))
		switch {
		case tc.want == "" && ok:
			t.Errorf("%q: read as %v, want refused", tc.in, unixTime(got))
		case tc.want != "" && !ok:
			t.Errorf("%q: refused", tc.in)
		case ok && unixTime(got).Format(time.RFC3339) != tc.want:
			t.Errorf("%q: %v, want %s", tc.in, unixTime(got), tc.want)
		}
	}
}

// FuzzTimes checks both time parsers against time.Parse: whatever they
// accept, time.Parse accepts too, as the same second.
func FuzzTimes(f *testing.F) {
	f.Add("2026-12-02T06:59:52.053Z")
	f.Add("2026-12-02T07:59:52.5+01:00")
	f.Add("02/Dec/2026:06:59:51 +0000")
	f.Add("29/Feb/2028:00:00:00 -0130")
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := parseRFC3339([]byte(s)); ok {
			want, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatalf("%q: read as %d, time.Parse refuses: %v", s, got, err)
			}
			if want.Unix() != got {
				t.Fatalf("%q: %d, time.Parse %d", s, got, want.Unix())
			}
		}
		if got, ok := parseCommonLog([]byte(s)); ok {
			want, err := time.Parse("02/Jan/2006:15:04:05 -0700", s)
			if err != nil {
				t.Fatalf("%q: read as %d, time.Parse refuses: %v", s, got, err)
			}
			if want.Unix() != got {
				t.Fatalf("%q: %d, time.Parse %d", s, got, want.Unix())
			}
		}
	})
}
