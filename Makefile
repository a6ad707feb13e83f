GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN     ?= bin/regprune

# Sub-makes (tests run `make -n build` under `make test`) print no "Entering directory".
MAKEFLAGS += --no-print-directory

.PHONY: build test demo bench stress fmt vet clean docs image

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# The per-command reference, the man page and the completion scripts, from
# the command definitions (a test fails when the checked-in copies are stale).
docs:
	$(GO) run . docs --dir docs

# The container image (distroless, binary as entrypoint); needs a Docker engine.
IMAGE ?= regprune:$(VERSION)
image:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMAGE) .

vet:
	$(GO) vet ./...

# go vet, the tests, then every fuzz target for 4 s (scripts/fuzz.sh). The
# S3 tests need MinIO and some need the registry binary: when either is
# missing those tests skip, and prereqs says so first.
test: vet
	@$(GO) run ./internal/regtest/cmd/prereqs
	$(GO) test -race -timeout 30m ./...
	./scripts/fuzz.sh

# The long variants of the reliability tests (every fault point, 60 kills,
# 20 signals, longer concurrent pushes) and a minute of fuzzing per target.
stress:
	REGPRUNE_STRESS=1 $(GO) test -race -count=1 -timeout 120m -v ./e2e/reliability
	FUZZTIME=60s ./scripts/fuzz.sh

fmt:
	gofmt -w .

demo: build
	./scripts/demo.sh $(BIN)

# regprune gc against the registry's own garbage-collect (v3.1.2) on copies
# of a generated 1,000 x 20 tree, find, no-op gc, scan, memory, scaling
# table (REPOS, TAGS, SCALE); figures in docs/performance.md.
bench:
	./scripts/bench.sh

clean:
	rm -rf bin

# regprune gc against upstream's garbage-collect on identical MinIO buckets
# (REPOS x TAGS, default 200 x 20); figures in docs/performance.md. With
# DELAY=20ms, through s3proxy (20 ms a request, requests counted by kind):
# first gc, second gc, gc after 5% of the tags were removed (docs/s3.md).
# regprune gc from BASE (default: the first version) against this tree's,
# runs alternated on copies of one generated tree (REPOS x TAGS, RUNS).
.PHONY: bench-ab
bench-ab:
	./scripts/bench-ab.sh

.PHONY: bench-s3
bench-s3:
	./scripts/bench-s3.sh
