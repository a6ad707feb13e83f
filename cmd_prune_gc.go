package main

import "errors"

// gcSummary stands for gc.Summary until the gc package compiles.
type gcSummary struct {
	DryRun     bool  `json:"dry_run"`
	FreedBytes int64 `json:"freed_bytes"`
	Removed    struct {
		Tags, Manifests, Blobs, LayerLinks, Uploads, Repositories int
	} `json:"removed"`
	KeptRecent int      `json:"kept_recent"`
	Warnings   []string `json:"warnings"`
}

// pruneGC runs gc --delete-untagged after the removals (gc not landed yet).
func pruneGC(e *env, req pruneRequest, res *pruneResult) error {
	return errors.New("gc after prune is not available yet: run with --no-gc")
}
