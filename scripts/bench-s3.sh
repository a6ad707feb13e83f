#!/usr/bin/env bash
# make bench-s3: regprune gc --delete-untagged --grace 0 against upstream's
# registry garbage-collect --delete-untagged (distribution v3.1.2) on two
# identical MinIO buckets holding a generated registry (REPOS x TAGS), then
# checks that both leave the same tags, manifest revisions and blobs.
# Not part of make test. Needs MinIO (scripts/install-minio.sh) and installs
# the upstream registry (scripts/install-registry.sh) when missing.
#
# Latency mode (DELAY=20ms make bench-s3): MinIO on loopback answers in well
# under a millisecond, real S3 in 10-50 ms, where a run's time is its number
# of sequential requests. Both tools then reach MinIO through s3proxy
# (internal/s3proxy), which adds DELAY to every request and counts requests
# by kind, and each runs three times on its bucket:
#   first gc    on the generated tree;
#   second gc   with nothing left to delete;
#   after 5%    after every 20th tag (the 1st, 21st, ...; the same tags in
#               both buckets) was removed by deleting its keys directly
#               (upstream cannot remove tags itself);
# the same-outcome check follows each phase. Before each run, a bare listing
# of the bucket (ListObjectsV2 of every key, 1,000 a page) through the same
# proxy gives the floor. The result is a markdown table: time, requests by
# kind (LIST, GETs of links, of blob data, of anything else, HEAD, PUT,
# DELETE, DeleteObjects and their keys, other), the most requests in flight
# at once, and the floor; then regprune against upstream and the floor.
# Request counts do not depend on the machine's load; times do.
#   DELAY=20ms            the delay; unset: the plain comparison above
#   UPSTREAM_DELAY=0s     upstream's runs at another delay (200 x 20 at 20 ms
#                         takes upstream about an hour): their time at DELAY
#                         is then estimated as its time plus DELAY per request
#                         (exact for one request at a time, an upper bound
#                         otherwise; marked est.)
#   UPSTREAM=0            regprune alone (no comparison, no outcome check)
#   RECORDS=FILE          keep the raw records (JSON lines; s3proxy -report)
set -euo pipefail
cd "$(dirname "$0")/.."
REPOS="${REPOS:-200}"
TAGS="${TAGS:-20}"
JOBS="${JOBS:-16}"
PORT="${MINIO_PORT:-39017}"
DELAY="${DELAY:-}"
UPSTREAM_DELAY="${UPSTREAM_DELAY:-$DELAY}"
UPSTREAM="${UPSTREAM:-1}"

scripts/install-minio.sh >&2
minio="${REGPRUNE_MINIO:-$HOME/.cache/regprune-minio/minio}"
if [ "$UPSTREAM" = 1 ]; then
	REGISTRY_VERSION=v3.1.2 scripts/install-registry.sh >&2
fi
upstream="${REGPRUNE_REGISTRY_DIR:-$HOME/.cache/regprune-registry}/registry"
[ -z "$DELAY" ] || command -v curl >/dev/null || { echo "bench-s3: the latency mode needs curl" >&2; exit 1; }

tmp="$(mktemp -d)"
pid=""
proxypid=""
cleanup() {
	[ -n "$proxypid" ] && kill "$proxypid" 2>/dev/null && wait "$proxypid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$tmp/regprune" .
go build -o "$tmp/gentree" ./internal/gen/cmd/gentree
go build -o "$tmp/s3load" ./internal/minio/cmd/s3load
[ -z "$DELAY" ] || go build -o "$tmp/s3proxy" ./internal/s3proxy/cmd/s3proxy

minioep="http://127.0.0.1:$PORT"
MINIO_ROOT_USER=regprune MINIO_ROOT_PASSWORD=regprune-secret MINIO_BROWSER=off MINIO_UPDATE=off \
	"$minio" server --quiet --address "127.0.0.1:$PORT" --console-address "127.0.0.1:$((PORT + 1))" \
	--certs-dir "$tmp/certs" "$tmp/data" >"$tmp/minio.log" 2>&1 &
pid=$!
"$tmp/s3load" -endpoint "$minioep" -wait

# The tools' endpoint: MinIO itself, or the proxy in front of it.
endpoint="$minioep"
if [ -n "$DELAY" ]; then
	endpoint="http://127.0.0.1:$((PORT + 2))"
	"$tmp/s3proxy" -listen "127.0.0.1:$((PORT + 2))" -target "$minioep" -delay "$DELAY" >"$tmp/proxy.log" 2>&1 &
	proxypid=$!
	for _ in $(seq 50); do curl -sf "$endpoint/__stats" >/dev/null && break; sleep 0.1; done
	curl -sf "$endpoint/__stats" >/dev/null || { cat "$tmp/proxy.log" >&2; exit 1; }
fi

tools="regprune"
[ "$UPSTREAM" = 1 ] && tools="upstream regprune"
echo "bench-s3: generating $REPOS repositories x $TAGS tags" >&2
"$tmp/gentree" -root "$tmp/tree" -repos "$REPOS" -tags "$TAGS" -recent-share 0 -base-layers 20 -orphans 50 >"$tmp/tree.json"
files=$(find "$tmp/tree" -type f | wc -l)
for b in $tools; do
	"$tmp/s3load" -endpoint "$minioep" -bucket "$b" -put "$tmp/tree"
done

config() { # bucket [extra s3 line]
	cat <<YAML
version: 0.1
log:
  level: error
storage:
  s3:
    accesskey: regprune
    secretkey: regprune-secret
    region: us-east-1
    regionendpoint: $endpoint
    bucket: $1
    secure: false
    v4auth: true
$2
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YAML
}
config upstream "    forcepathstyle: true" >"$tmp/upstream.yml"
config regprune "" >"$tmp/regprune.yml"

now() { date +%s.%N; }
run() { # tool: one gc, its output in $tmp/<tool>.log
	case $1 in
	upstream) "$upstream" garbage-collect --delete-untagged "$tmp/upstream.yml" >"$tmp/upstream.log" 2>&1 ||
		{ tail -20 "$tmp/upstream.log" >&2; exit 1; } ;;
	regprune) "$tmp/regprune" --quiet --config "$tmp/regprune.yml" gc --delete-untagged --grace 0 --jobs "$JOBS" >"$tmp/regprune.log" 2>&1 ||
		{ tail -20 "$tmp/regprune.log" >&2; exit 1; } ;;
	esac
}

# What a pull depends on: tag links, revision links, blob data.
outcome() {
	"$tmp/s3load" -endpoint "$minioep" -bucket "$1" -list |
		grep -E '(/_manifests/tags/[^/]+/current/link|/_manifests/revisions/sha256/[0-9a-f]{64}/link|^docker/registry/v2/blobs/sha256/../[0-9a-f]{64}/data)$' || true
}
same=yes
check_outcome() { # after a phase of both tools
	[ "$UPSTREAM" = 1 ] || return 0
	outcome upstream >"$tmp/upstream.keys"
	outcome regprune >"$tmp/regprune.keys"
	if ! diff -q "$tmp/upstream.keys" "$tmp/regprune.keys" >/dev/null; then
		same=no
		echo "bench-s3: $1: upstream and regprune left different keys:" >&2
		diff "$tmp/upstream.keys" "$tmp/regprune.keys" | head -20 >&2
	fi
}

if [ -z "$DELAY" ]; then
	t0=$(now)
	run upstream
	t1=$(now)
	run regprune
	t2=$(now)
	check_outcome "gc"
	up=$(echo "$t1 - $t0" | bc -l)
	rp=$(echo "$t2 - $t1" | bc -l)
	printf 'tree: %s repositories x %s tags, %s objects (MinIO on 127.0.0.1, %s cores)\n' "$REPOS" "$TAGS" "$files" "$(nproc)"
	printf 'upstream registry garbage-collect --delete-untagged (v3.1.2): %8.1f s\n' "$up"
	printf 'regprune gc --delete-untagged --grace 0 --jobs %s:           %8.1f s\n' "$JOBS" "$rp"
	printf 'ratio: %.1fx; same tags, revisions and blobs left: %s (%s keys)\n' "$(echo "$up / $rp" | bc -l)" "$same" "$(wc -l <"$tmp/regprune.keys")"
	[ "$same" = yes ]
	exit 0
fi

# Latency mode.
records="${RECORDS:-$tmp/records.jsonl}"
: >"$records"
stats() { curl -sf "$endpoint/__stats?reset=1"; }
delay() { curl -sf "$endpoint/__delay?d=$1" >/dev/null; }
phase() { # name: the floor and one gc of each tool
	local tool d t0 t1 floor fs
	for tool in $tools; do
		delay "$DELAY"
		stats >/dev/null
		t0=$(now)
		"$tmp/s3load" -endpoint "$endpoint" -bucket "$tool" -list >/dev/null
		t1=$(now)
		floor=$(stats)
		fs=$(echo "$t1 - $t0" | bc -l)
		d="$DELAY"
		[ "$tool" = upstream ] && d="$UPSTREAM_DELAY"
		delay "$d"
		echo "bench-s3: $1: $tool (${d} a request)" >&2
		t0=$(now)
		run "$tool"
		t1=$(now)
		printf '{"phase":"%s","tool":"%s","seconds":%.3f,"floor_seconds":%.3f,"floor":%s,"run":%s}\n' \
			"$1" "$tool" "$(echo "$t1 - $t0" | bc -l)" "$fs" "$floor" "$(stats)" >>"$records"
	done
	check_outcome "$1"
}
phase "first gc"
phase "second gc"
"$tmp/s3load" -endpoint "$minioep" -bucket regprune -tags | awk 'NR % 20 == 1' >"$tmp/removed-tags"
for b in $tools; do
	"$tmp/s3load" -endpoint "$minioep" -bucket "$b" -delete-prefixes "$tmp/removed-tags"
done
phase "after 5% of tags removed"

printf 'tree: %s repositories x %s tags, %s objects; %s tags removed before the third gc\n' \
	"$REPOS" "$TAGS" "$files" "$(wc -l <"$tmp/removed-tags")"
upstream_note="upstream: $UPSTREAM_DELAY"
[ "$UPSTREAM" = 1 ] || upstream_note="upstream not run"
printf 'MinIO on 127.0.0.1 behind s3proxy, %s a request (%s), %s cores; regprune --jobs %s\n\n' \
	"$DELAY" "$upstream_note" "$(nproc)" "$JOBS"
"$tmp/s3proxy" -report "$records" -delay "$DELAY"
if [ "$UPSTREAM" = 1 ]; then
	printf '\nsame tags, revisions and blobs left after every phase: %s (%s keys)\n' "$same" "$(wc -l <"$tmp/regprune.keys")"
fi
[ "$same" = yes ]
