#!/usr/bin/env bash
# Installs the upstream registry binary (github.com/distribution/distribution/v3
# cmd/registry), which the end-to-end tests run as `registry serve`
# (internal/regtest.Serve) and `make bench` times, from the Go module proxy
# into $REGPRUNE_REGISTRY_DIR (default $HOME/.cache/regprune-registry), unless
# it is already there. internal/regtest looks for it there. About 2-4 minutes
# on 2 cores.
#
# REGISTRY_VERSION picks the version (default: the 3.1.x the tests expect).
set -euo pipefail
dir="${REGPRUNE_REGISTRY_DIR:-$HOME/.cache/regprune-registry}"
version="${REGISTRY_VERSION:-v3.1.2}"
bin="$dir/registry"
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q " $version\(+unknown\)\?\( \|$\)"; then
	echo "install-registry: $bin ($version) is there"
	exit 0
fi
mkdir -p "$dir"
echo "install-registry: go install github.com/distribution/distribution/v3/cmd/registry@$version into $dir"
start=$(date +%s)
# Outside any module, so that this repository's go.mod plays no part.
(cd "$dir" && GOBIN="$dir" GOFLAGS=-mod=mod GO111MODULE=on go install "github.com/distribution/distribution/v3/cmd/registry@$version")
"$bin" --version
echo "install-registry: done in $(( $(date +%s) - start ))s"
