#!/usr/bin/env bash
# make bench: regprune gc against the registry's own garbage-collect on a
# generated tree (internal/gen), plus find, a no-op gc, scan vs gc's mark
# phase, peak memory, and the scaling table. Not part of make test.
#
# Environment: REPOS (1000) TAGS (20) SCALE ("100 250 500 1000 2000")
# UPSTREAM_SCALE_MAX (1000: largest tree upstream is also timed on)
# BENCH_TMP (/dev/shm when it has room, else /tmp) KEEP=1 (keep the work dir)
# REGISTRY_BIN (an upstream registry binary; default: scripts/install-registry.sh's v3.1.2)
set -euo pipefail
cd "$(dirname "$0")/.."

REPOS=${REPOS:-1000}
TAGS=${TAGS:-20}
SCALE=${SCALE:-"100 250 500 1000 2000"}
UPSTREAM_SCALE_MAX=${UPSTREAM_SCALE_MAX:-1000}
UPSTREAM_VERSION=v3.1.2
if [ -z "${BENCH_TMP:-}" ]; then
	BENCH_TMP=/tmp
	# tmpfs when it has room for two 1,000-repository trees (space and inodes)
	if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt 8000000 ] &&
		[ "$(df -Pi /dev/shm | awk 'NR==2 {print $4}')" -gt 2000000 ]; then BENCH_TMP=/dev/shm; fi
fi
WORK=$(mktemp -d "$BENCH_TMP/regprune-bench.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi
BIN=$WORK/bin
mkdir -p "$BIN"

say() { printf '%s\n' "$*" >&2; }

# measure NAME CMD...: runs CMD (stdout, stderr to $WORK/NAME.log), sets
# SECS, USER_S, SYS_S, RSS_KB.
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$WORK/$name.time" "$@" >"$WORK/$name.log" 2>&1 || {
		say "bench: $name failed:"
		tail -20 "$WORK/$name.log" >&2
		exit 1
	}
	read -r SECS USER_S SYS_S RSS_KB <"$WORK/$name.time"
}

field() { grep -o "\"$1\": [0-9]*" "$2" | grep -o '[0-9]*$'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }
files_in() { find "$1" -type f ! -name .regprune.lock | wc -l; }

# file_list ROOT: every file under blobs/ and repositories/, relative.
file_list() { (cd "$1/docker/registry/v2" && find blobs repositories -type f | sort); }

upstream_config() {
	cat >"$2" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $1
  delete:
    enabled: true
EOF
}

say "bench: building regprune, gentree; installing registry $UPSTREAM_VERSION"
go build -o "$BIN/regprune" .
go build -o "$BIN/gentree" ./internal/gen/cmd/gentree
if [ -n "${REGISTRY_BIN:-}" ]; then
	cp "$REGISTRY_BIN" "$BIN/registry"
else
	REGISTRY_VERSION=$UPSTREAM_VERSION scripts/install-registry.sh >&2
	cp "${REGPRUNE_REGISTRY_DIR:-$HOME/.cache/regprune-registry}/registry" "$BIN/registry"
fi

echo "## machine"
echo "cpus: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "memory: $(free -m | awk '/Mem:/ {print $2}') MiB; tree on $(df -PT "$WORK" | awk 'NR==2 {print $2}') ($BENCH_TMP)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "go: $(go version | cut -d' ' -f3); upstream: registry $UPSTREAM_VERSION"

# gen N DIR: generate an N x TAGS tree in DIR, summary in DIR.json.
gen() { "$BIN/gentree" -root "$2" -repos "$1" -tags "$TAGS" >"$2.json"; }

# run_upstream N: upstream garbage-collect on its own copy of the
# N-repository tree (generated again: the generator is deterministic, and
# two trees at a time fit where three would not); sets UP_S, UP_RSS.
run_upstream() {
	local n=$1
	gen "$n" "$WORK/up$n"
	upstream_config "$WORK/up$n" "$WORK/up$n.yml"
	measure "upstream$n" "$BIN/registry" garbage-collect --delete-untagged -q "$WORK/up$n.yml"
	UP_S=$SECS UP_RSS=$RSS_KB
	rm -rf "$WORK/up$n"
}

say "bench: generating $REPOS x $TAGS"
gen "$REPOS" "$WORK/rp"
SRC=$WORK/rp
FILES=$(field files "$SRC.json")
BLOBS=$(field blobs "$SRC.json")
REVS=$(field revisions "$SRC.json")
echo
echo "## tree: $REPOS repositories x $TAGS tags (gen.Bench, seed 1)"
echo "files $FILES, blobs $BLOBS, manifest revisions $REVS, tags $(field tags "$SRC.json") (+ $(field removed_tags "$SRC.json") deleted), indexes $(field indexes "$SRC.json")"
echo "a correct gc keeps: revisions $(field live_revisions "$SRC.json"), layer links $(field live_layer_links "$SRC.json"), blobs $(field live_blobs "$SRC.json")"

measure find sh -c "find '$SRC' -type f | wc -l"
FIND_S=$SECS

# Read-only runs first, on the copy regprune then collects.
measure mark "$BIN/regprune" --root "$WORK/rp" --json gc --delete-untagged --grace 0 --dry-run
MARK_S=$SECS MARK_RSS=$RSS_KB
measure scan "$BIN/regprune" --root "$WORK/rp" --json scan --grace 0
SCAN_S=$SECS SCAN_RSS=$RSS_KB

say "bench: upstream garbage-collect ($REPOS repositories)"
gen "$REPOS" "$WORK/up$REPOS"
upstream_config "$WORK/up$REPOS" "$WORK/up$REPOS.yml"
measure "upstream$REPOS" "$BIN/registry" garbage-collect --delete-untagged -q "$WORK/up$REPOS.yml"
UP_S=$SECS UP_RSS=$RSS_KB MAIN_UP_S=$SECS
say "bench: regprune gc ($REPOS repositories)"
measure regprune "$BIN/regprune" --root "$WORK/rp" gc --delete-untagged --grace 0
RP_S=$SECS RP_RSS=$RSS_KB RP_CPU=$(awk -v u="$USER_S" -v s="$SYS_S" 'BEGIN {print u + s}')
UP_CPU=$(awk '{print $2 + $3}' "$WORK/upstream$REPOS.time")

file_list "$WORK/up$REPOS" >"$WORK/up.files"
file_list "$WORK/rp" >"$WORK/rp.files"
SAME=yes
if ! cmp -s "$WORK/up.files" "$WORK/rp.files"; then SAME=no; fi
LEFT=$(wc -l <"$WORK/rp.files")

NOOP_FILES=$(files_in "$WORK/rp")
measure noop "$BIN/regprune" --root "$WORK/rp" gc --delete-untagged --grace 0
NOOP_S=$SECS

echo
echo "## gc --delete-untagged on $REPOS x $TAGS ($FILES files)"
echo "| run | wall s | cpu s (user+sys) | peak RSS MiB |"
echo "|---|---|---|---|"
echo "| upstream registry garbage-collect --delete-untagged | $UP_S | $UP_CPU | $((UP_RSS / 1024)) |"
echo "| regprune gc --delete-untagged --grace 0 | $RP_S | $RP_CPU | $((RP_RSS / 1024)) |"
echo "| find <tree> -type f \| wc -l | $FIND_S | $(awk '{print $2 + $3}' "$WORK/find.time") | - |"
echo "| regprune gc --dry-run (mark and plan) | $MARK_S | $(awk '{print $2 + $3}' "$WORK/mark.time") | $((MARK_RSS / 1024)) |"
echo "| regprune scan | $SCAN_S | $(awk '{print $2 + $3}' "$WORK/scan.time") | $((SCAN_RSS / 1024)) |"
echo "| regprune gc, nothing to delete ($NOOP_FILES files) | $NOOP_S | $(awk '{print $2 + $3}' "$WORK/noop.time") | - |"
echo
echo "ratio upstream/regprune (wall): $(ratio "$UP_S" "$RP_S")x; (cpu): $(ratio "$UP_CPU" "$RP_CPU")x"
echo "ratio find/regprune (wall): $(ratio "$FIND_S" "$RP_S")x"
echo "no-op gc per 100,000 files: $(awk -v s="$NOOP_S" -v f="$NOOP_FILES" 'BEGIN {printf "%.2f", s * 100000 / f}') s"
echo "peak RSS per blob+revision: gc $(awk -v r="$RP_RSS" -v n="$((BLOBS + REVS))" 'BEGIN {printf "%.0f", r * 1024 / n}') bytes (target 200)"
echo "scan / gc mark phase: $(ratio "$SCAN_S" "$MARK_S")x (target <= 1.5)"
echo "same outcome as upstream (files under blobs/ and repositories/): $SAME ($LEFT files left)"
if [ "$SAME" = no ]; then
	echo "differences (< upstream only, > regprune only), first 20:"
	diff "$WORK/up.files" "$WORK/rp.files" | grep '^[<>]' | head -20
fi
rm -rf "$WORK/rp" "$WORK/up$REPOS"

echo
echo "## scaling ($TAGS tags per repository)"
echo "| repositories | files | regprune gc s | per 1,000 files ms | upstream s | ratio |"
echo "|---|---|---|---|---|---|"
for n in $SCALE; do
	if [ "$n" = "$REPOS" ]; then
		nf=$FILES rs=$RP_S us=$MAIN_UP_S
	else
		say "bench: scaling, $n repositories"
		gen "$n" "$WORK/rp$n"
		nf=$(field files "$WORK/rp$n.json")
		measure "regprune$n" "$BIN/regprune" --root "$WORK/rp$n" gc --delete-untagged --grace 0
		rs=$SECS us=-
		rm -rf "$WORK/rp$n"
		if [ "$n" -le "$UPSTREAM_SCALE_MAX" ]; then run_upstream "$n"; us=$UP_S; fi
	fi
	r=-
	if [ "$us" != - ]; then r=$(ratio "$us" "$rs")x; fi
	echo "| $n | $nf | $rs | $(awk -v s="$rs" -v f="$nf" 'BEGIN {printf "%.3f", s * 1e6 / f}') | $us | $r |"
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$SAME" = no ]; then exit 1; fi
