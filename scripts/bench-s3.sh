#!/usr/bin/env bash
# make bench-s3: regprune gc --delete-untagged --grace 0 against upstream's
# registry garbage-collect --delete-untagged (distribution v3.1.2) on two
# identical MinIO buckets holding a generated registry (REPOS x TAGS), then
# checks that both leave the same tags, manifest revisions and blobs.
# Not part of make test. Needs MinIO (scripts/install-minio.sh) and installs
# the upstream registry (scripts/install-registry.sh) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
REPOS="${REPOS:-200}"
TAGS="${TAGS:-20}"
JOBS="${JOBS:-16}"
PORT="${MINIO_PORT:-39017}"

scripts/install-minio.sh >&2
minio="${REGPRUNE_MINIO:-$HOME/.cache/regprune-minio/minio}"
REGISTRY_VERSION=v3.1.2 scripts/install-registry.sh >&2
upstream="${REGPRUNE_REGISTRY_DIR:-$HOME/.cache/regprune-registry}/registry"

tmp="$(mktemp -d)"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$tmp/regprune" .
go build -o "$tmp/gentree" ./internal/gen/cmd/gentree
go build -o "$tmp/s3load" ./internal/minio/cmd/s3load

endpoint="http://127.0.0.1:$PORT"
MINIO_ROOT_USER=regprune MINIO_ROOT_PASSWORD=regprune-secret MINIO_BROWSER=off MINIO_UPDATE=off \
	"$minio" server --quiet --address "127.0.0.1:$PORT" --console-address "127.0.0.1:$((PORT + 1))" \
	--certs-dir "$tmp/certs" "$tmp/data" >"$tmp/minio.log" 2>&1 &
pid=$!
"$tmp/s3load" -endpoint "$endpoint" -wait

echo "bench-s3: generating $REPOS repositories x $TAGS tags" >&2
"$tmp/gentree" -root "$tmp/tree" -repos "$REPOS" -tags "$TAGS" -recent-share 0 -base-layers 20 -orphans 50 >"$tmp/tree.json"
files=$(find "$tmp/tree" -type f | wc -l)
for b in upstream regprune; do
	"$tmp/s3load" -endpoint "$endpoint" -bucket "$b" -put "$tmp/tree"
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
t0=$(now)
"$upstream" garbage-collect --delete-untagged "$tmp/upstream.yml" >"$tmp/upstream.log" 2>&1 ||
	{ tail -20 "$tmp/upstream.log" >&2; exit 1; }
t1=$(now)
"$tmp/regprune" --quiet --config "$tmp/regprune.yml" gc --delete-untagged --grace 0 --jobs "$JOBS" >"$tmp/regprune.log" 2>&1 ||
	{ tail -20 "$tmp/regprune.log" >&2; exit 1; }
t2=$(now)

# What a pull depends on: tag links, revision links, blob data.
outcome() {
	"$tmp/s3load" -endpoint "$endpoint" -bucket "$1" -list |
		grep -E '(/_manifests/tags/[^/]+/current/link|/_manifests/revisions/sha256/[0-9a-f]{64}/link|^docker/registry/v2/blobs/sha256/../[0-9a-f]{64}/data)$' || true
}
outcome upstream >"$tmp/upstream.keys"
outcome regprune >"$tmp/regprune.keys"
same=yes
if ! diff -q "$tmp/upstream.keys" "$tmp/regprune.keys" >/dev/null; then
	same=no
	diff "$tmp/upstream.keys" "$tmp/regprune.keys" | head -20 >&2
fi
up=$(echo "$t1 - $t0" | bc -l)
rp=$(echo "$t2 - $t1" | bc -l)
printf 'tree: %s repositories x %s tags, %s objects (MinIO on 127.0.0.1, %s cores)\n' "$REPOS" "$TAGS" "$files" "$(nproc)"
printf 'upstream registry garbage-collect --delete-untagged (v3.1.2): %8.1f s\n' "$up"
printf 'regprune gc --delete-untagged --grace 0 --jobs %s:           %8.1f s\n' "$JOBS" "$rp"
printf 'ratio: %.1fx; same tags, revisions and blobs left: %s (%s keys)\n' "$(echo "$up / $rp" | bc -l)" "$same" "$(wc -l <"$tmp/regprune.keys")"
[ "$same" = yes ]
