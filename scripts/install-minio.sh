#!/usr/bin/env bash
# Installs MinIO, the S3 server of the S3 tests and of `make bench-s3`, from
# the Go module proxy into $REGPRUNE_MINIO_DIR (default
# $HOME/.cache/regprune-minio), unless it is already there. internal/minio
# looks for it there. The build is large: about 15-20 minutes on 2 cores.
set -euo pipefail
dir="${REGPRUNE_MINIO_DIR:-$HOME/.cache/regprune-minio}"
# MinIO's releases are not semver tags: the proxy's latest is this
# pseudo-version (the one tested here with Go 1.26).
version="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
if [ -x "$dir/minio" ]; then
	echo "install-minio: $dir/minio is there"
	exit 0
fi
mkdir -p "$dir"
echo "install-minio: go install github.com/minio/minio@$version into $dir (large build)"
start=$(date +%s)
GOBIN="$dir" go install "github.com/minio/minio@$version"
echo "install-minio: done in $(( $(date +%s) - start ))s"
