// Package image checks the Dockerfile without a container engine: its
// build stage, run on the build context .dockerignore leaves, builds the
// same static, versioned binary as make build.
package image
