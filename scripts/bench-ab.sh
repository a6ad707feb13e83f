#!/usr/bin/env bash
# make bench-ab: regprune gc built from BASE against the working tree's,
# on identical copies of one generated tree, runs alternated (A B, B A, ...)
# so that a shared or loaded machine slows both alike. Prints each run and
# the medians: a full gc (--delete-untagged --grace 0, then a gc with
# nothing left to delete on the same copy) and a dry run (mark and plan).
#
# Environment: BASE (a commit; default 60edd0e, the first version's last
# commit, whose figures docs/performance.md gives) REPOS (1000) TAGS (20)
# RUNS (5) BENCH_TMP (/dev/shm when it has room, else /tmp) KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${BASE:-60edd0e}
REPOS=${REPOS:-1000}
TAGS=${TAGS:-20}
RUNS=${RUNS:-5}
if [ -z "${BENCH_TMP:-}" ]; then
	BENCH_TMP=/tmp
	if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt 8000000 ] &&
		[ "$(df -Pi /dev/shm | awk 'NR==2 {print $4}')" -gt 1200000 ]; then BENCH_TMP=/dev/shm; fi
fi
WORK=$(mktemp -d "$BENCH_TMP/regprune-ab.XXXXXX")
cleanup() {
	git worktree remove --force "$WORK/base-src" 2>/dev/null || true
	if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
say() { printf '%s\n' "$*" >&2; }

say "bench-ab: building $BASE and the working tree"
git worktree add --detach -q "$WORK/base-src" "$BASE"
(cd "$WORK/base-src" && go build -o "$WORK/A" .)
go build -o "$WORK/B" .
go build -o "$WORK/gentree" ./internal/gen/cmd/gentree
say "bench-ab: generating $REPOS x $TAGS"
"$WORK/gentree" -root "$WORK/src" -repos "$REPOS" -tags "$TAGS" >"$WORK/src.json"

# timed NAME CMD...: appends CMD's wall seconds to $WORK/NAME.
timed() {
	local name=$1
	shift
	/usr/bin/time -f '%e' -o "$WORK/t" "$@" >"$WORK/out" 2>&1 || {
		say "bench-ab: $name failed:"
		tail -20 "$WORK/out" >&2
		exit 1
	}
	cat "$WORK/t" >>"$WORK/$name"
}

# one V: a dry run, a gc and a gc with nothing to delete, by binary V, on a
# fresh copy of the tree.
one() {
	local v=$1
	cp -a "$WORK/src" "$WORK/copy"
	timed "$v.dry" "$WORK/$v" --root "$WORK/copy" --json gc --delete-untagged --grace 0 --dry-run
	timed "$v.gc" "$WORK/$v" --root "$WORK/copy" gc --delete-untagged --grace 0
	timed "$v.noop" "$WORK/$v" --root "$WORK/copy" gc --delete-untagged --grace 0
	rm -rf "$WORK/copy"
}

echo "## bench-ab: A = $BASE ($(git log -1 --format=%cs "$BASE")), B = working tree ($(git describe --always --dirty))"
echo "tree: $REPOS x $TAGS, $(grep -o '"files": [0-9]*' "$WORK/src.json" | grep -o '[0-9]*$') files, on $BENCH_TMP"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then one A; one B; else one B; one A; fi
	say "bench-ab: run $i of $RUNS done"
done

median() { sort -n "$1" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "| seconds (median of $RUNS) | A | B | B / A | runs A | runs B |"
echo "|---|---|---|---|---|---|"
for k in dry gc noop; do
	a=$(median "$WORK/A.$k")
	b=$(median "$WORK/B.$k")
	echo "| $k | $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b / a}') | $(paste -sd' ' "$WORK/A.$k") | $(paste -sd' ' "$WORK/B.$k") |"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
