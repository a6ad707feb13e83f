// Package upstream replays, end to end, the scenarios of distribution
// v3's own garbage-collect tests (registry/storage/garbagecollect_test.go):
// images pushed through a real registry, deletes through its API,
// regprune gc --delete-untagged --grace 0 (cli.Run), then pulls that
// validate every blob, and the exact blobs, revisions and layer links
// that remain. Each test names the upstream test it replays; where
// regprune's result differs from upstream's (across repositories), the
// test says why.
package upstream
