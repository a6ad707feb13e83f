// Package hostile runs every changing command on hostile and imperfect
// storage trees (issue 12): symbolic links into a canary directory
// outside the root, special files, stray entries, odd names, malformed
// tag links, a missing or incomplete blob store, and on S3 a sibling
// prefix. Each run must leave the canary byte for byte as it was
// (content, mode, modification time), keep every live tag pullable
// whole, and, where regprune refuses, exit non-zero naming the culprit.
// Trees come from the sample registry (pushed through the in-process
// registry, internal/regtest) and from seeded random mutations of it
// (property_test.go; REGPRUNE_STRESS=1 runs more of them).
package hostile
