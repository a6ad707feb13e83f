// Package e2e holds regprune's end-to-end tests, one package per suite so
// that go test runs them in parallel with each other and with the unit
// tests of the packages they drive:
//
//	commands     every command run in-process on a real storage (images pushed
//	             through a real registry): flags, output, exit statuses, the
//	             lock, logs, metrics
//	reliability  faults injected into driver calls, kills and signals of the
//	             built binary, pushes during gc, read-only storage
//	s3           the commands on S3 (MinIO; skipped without it)
//	docs         the generated docs are fresh; every command line in the docs
//	             and recipes parses with the real commands and flags
//	image        the Dockerfile builds the static binary make builds
//	imports      the import rules between regprune's packages
//
// make stress runs the long variants of the reliability suite.
package e2e
