package storage

import "testing"

func TestMatchGlob(t *testing.T) {
	t.Parallel()
	cases := []struct {
		glob, name string
		want       bool
	}{
		{"team/*", "team/app", true},
		{"team/*", "team/app/api", false}, // * does not cross /
		{"team/*/*", "team/app/api", true},
		{"*", "team/app", false},
		{"i*", "i", true},
		{"T?2", "T12", true},
		{"T?2", "T112", false},
		{"pr-[0-9]*", "pr-42", true},
		{"pr-[", "pr-[", false}, // malformed glob matches nothing
		{"a/b/c", "a/b/c", true},
		{`v1\.0`, "v1.0", true},
	}
	for _, c := range cases {
		if got := MatchGlob(c.glob, c.name); got != c.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", c.glob, c.name, got, c.want)
		}
	}
}
