GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN     ?= bin/regprune

.PHONY: build test demo bench stress fmt vet clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

vet:
	$(GO) vet ./...

test: vet
	$(GO) test -race ./...
	./scripts/fuzz.sh

# The long variants of the reliability tests (every fault point, 60 kills,
# 20 signals, longer concurrent pushes) and a minute of fuzzing per target.
stress:
	REGPRUNE_STRESS=1 $(GO) test -race -count=1 -timeout 120m -v -run 'TestReliability' .
	FUZZTIME=60s ./scripts/fuzz.sh

fmt:
	gofmt -w .

demo: build
	./scripts/demo.sh $(BIN)

clean:
	rm -rf bin
