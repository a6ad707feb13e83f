#!/bin/sh
# Runs every Go fuzz target of the module for a fixed time each.
#   scripts/fuzz.sh            FUZZTIME (default 4s) per target, as make test does
#   FUZZTIME=60s scripts/fuzz.sh   longer, as make stress does
# Targets are found by name (func FuzzX in a _test.go file), so a target
# added anywhere is fuzzed without editing this script. A failing input is
# written under the package's testdata/fuzz/FuzzX/ by go test: commit it
# with the fix, it then runs in every plain go test.
set -eu
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-4s}
cd "$(dirname "$0")/.."
total=0
for f in $(find . -name '*_test.go' -not -path './bin/*' -not -path '*/testdata/*' | sort); do
	for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*\*testing\.F).*/\1/p' "$f"); do
		dir=$(dirname "$f")
		echo "fuzz: $dir $name for $FUZZTIME"
		"$GO" test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$dir" >/tmp/regprune-fuzz.$$ 2>&1 || {
			cat /tmp/regprune-fuzz.$$
			rm -f /tmp/regprune-fuzz.$$
			echo "fuzz: $dir $name FAILED" >&2
			exit 1
		}
		total=$((total + 1))
	done
done
rm -f /tmp/regprune-fuzz.$$
echo "fuzz: $total targets, $FUZZTIME each, no failure"
