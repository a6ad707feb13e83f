# syntax=docker/dockerfile:1
# regprune: a static binary on distroless, as the entrypoint.
#   docker build --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse --short HEAD) -t regprune .
# The build stage runs the same `go build` as `make build` (a test runs it and checks the result is static).
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=none
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/regprune .

# distroless/static: no shell, no libc, CA certificates and tzdata only.
FROM gcr.io/distroless/static-debian12 AS image
COPY --from=build /out/regprune /usr/local/bin/regprune
# The stock registry image writes its files as root. Run as the uid that owns
# your registry's files: docker run --user UID:GID, or runAsUser in Kubernetes.
USER 0:0
WORKDIR /
ENTRYPOINT ["/usr/local/bin/regprune"]
CMD ["--help"]
