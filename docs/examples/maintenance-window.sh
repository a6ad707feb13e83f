#!/bin/sh
# A maintenance window for a registry:2 container named "registry" with its
# storage in the volume "registry-data": re-create it read-only, prune, then
# re-create it read-write (the restart empties its blob descriptor cache).
# The registry comes back read-write even when the prune fails; the script
# then exits non-zero. Adjust the docker run lines to how you run yours.
set -eu
VOLUME=${VOLUME:-registry-data}
POLICY=${POLICY:-/etc/regprune/policy.yaml}
METRICS_DIR=${METRICS_DIR:-/var/lib/node_exporter/textfile}

start_registry() {
	docker stop registry >/dev/null && docker rm registry >/dev/null
	docker run -d --name registry --restart always -p 5000:5000 \
		-v "$VOLUME":/var/lib/registry "$@" registry:2 >/dev/null
}

start_registry -e 'REGISTRY_STORAGE_MAINTENANCE_READONLY={"enabled":true}'
status=0
docker run --rm -v "$VOLUME":/var/lib/registry -v "$POLICY":/policy.yaml:ro \
	-v "$METRICS_DIR":/metrics regprune:latest \
	--root /var/lib/registry --lock-timeout 10m --metrics-file /metrics/regprune.prom \
	prune --policy /policy.yaml --keep-removed 7d || status=$?
start_registry
exit "$status"
