#!/usr/bin/env bash
# make demo: what an operator does with regprune, on a temporary copy of the
# sample registry in testdata/sample (a real tree written by a distribution
# registry; the committed copy is never touched): list the tags, remove
# three of them (first with --dry-run), reclaim the space they held with gc
# (first with --dry-run), and check that every remaining image is whole.
#
# Usage: scripts/demo.sh [path/to/regprune]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$repo/bin/regprune}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || { echo "demo: no regprune binary at $bin (make build)" >&2; exit 1; }
[ -d "$repo/testdata/sample/docker" ] || { echo "demo: no sample registry in testdata/sample" >&2; exit 1; }

root=$(mktemp -d "${TMPDIR:-/tmp}/regprune-demo.XXXXXX")
trap 'rm -rf "$root"' EXIT
cp -R "$repo/testdata/sample/docker" "$root/"

bold='' plain=''
if [ -t 1 ]; then bold=$(printf '\033[1m') plain=$(printf '\033[0m'); fi

# step shows a regprune command line (with $ROOT for the temporary root),
# then runs it.
step() {
	printf '\n%s$ regprune --root $ROOT %s%s\n' "$bold" "$*" "$plain"
	"$bin" --root "$root" "$@"
}

echo "ROOT=$root (a copy of testdata/sample: $(du -sk "$root" | cut -f1) KiB)"
echo "Remove the tags T12, T22 and T52 of repository i; i:T13 points at the same image as i:T12 and must stay whole."

step tag ls
step tag rm --dry-run 'i:T?2'
step tag rm i:T12 i:T22 i:T52
step tag ls i

# Reclaim the space. The copy's files are dated now (cp), and no registry
# is pushing to it, so --grace 0: the default 1h would keep everything as
# possibly a push in progress. The dry run lists every object; the real run
# removes exactly those; a second run finds nothing; check finds no broken
# image.
step gc --delete-untagged --grace 0 --dry-run
step gc --delete-untagged --grace 0
again=$("$bin" --quiet --root "$root" --json gc --delete-untagged --grace 0)
grep -q '"freed_bytes": 0,' <<<"$again" || { echo "demo: a second gc still removed something: $again" >&2; exit 1; }
step check

# The demo fails unless exactly those three tags went.
after=$("$bin" --quiet --root "$root" --json tag ls i)
for tag in T11 T13 T21 T51; do
	grep -q "\"tag\": \"$tag\"" <<<"$after" || { echo "demo: i:$tag is gone" >&2; exit 1; }
done
for tag in T12 T22 T52; do
	! grep -q "\"tag\": \"$tag\"" <<<"$after" || { echo "demo: i:$tag is still there" >&2; exit 1; }
done
printf '\ndemo: ok (i:T12, i:T22, i:T52 removed; i:T13 and every other tag kept)\n'
