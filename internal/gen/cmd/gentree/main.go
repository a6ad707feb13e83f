// Command gentree writes a synthetic registry storage tree (see package
// internal/gen) under -root and prints what it wrote as JSON. Used by
// scripts/bench.sh.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/regprune/regprune/internal/gen"
)

func main() {
	c := gen.Bench(1000, 20)
	root := flag.String("root", "", "registry rootdirectory to write (required, should not exist)")
	flag.Uint64Var(&c.Seed, "seed", c.Seed, "seed")
	flag.IntVar(&c.Repositories, "repos", c.Repositories, "repositories")
	flag.IntVar(&c.TagsPerRepository, "tags", c.TagsPerRepository, "tags per repository")
	flag.IntVar(&c.LayersPerImage, "layers", c.LayersPerImage, "layers per image, base layer included")
	flag.IntVar(&c.LayerSize, "layer-size", c.LayerSize, "random bytes inside each layer")
	flag.Float64Var(&c.IndexShare, "index-share", c.IndexShare, "share of tags that are multi-platform indexes")
	flag.IntVar(&c.Platforms, "platforms", c.Platforms, "images per index")
	flag.Float64Var(&c.OCIShare, "oci-share", c.OCIShare, "share of tags with OCI media types")
	flag.Float64Var(&c.UntaggedShare, "untagged-share", c.UntaggedShare, "share of tags deleted after their push")
	flag.Float64Var(&c.HistoryShare, "history-share", c.HistoryShare, "share of tags with older pushes in index/")
	flag.IntVar(&c.HistoryDepth, "history-depth", c.HistoryDepth, "older pushes of such a tag")
	flag.IntVar(&c.BaseLayers, "base-layers", c.BaseLayers, "pool of base layers shared across repositories")
	flag.IntVar(&c.OrphanBlobs, "orphans", c.OrphanBlobs, "orphan blobs")
	flag.Float64Var(&c.NestedShare, "nested-share", c.NestedShare, "share of nested repository names")
	flag.Float64Var(&c.RecentShare, "recent-share", c.RecentShare, "share of pushes dated now")
	flag.IntVar(&c.Jobs, "jobs", 4, "repositories written in parallel")
	now := flag.String("now", c.Now.Format(time.RFC3339), "the time pushes are dated before (RFC 3339)")
	flag.Parse()
	if *root == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if c.Now, err = time.Parse(time.RFC3339, *now); err != nil {
		fmt.Fprintln(os.Stderr, "-now:", err)
		os.Exit(2)
	}
	start := time.Now()
	res, err := gen.Generate(*root, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := summary{
		Root: res.Root, Repositories: len(res.Repositories), Tags: res.TagCount(), RemovedTags: count(res.RemovedTags),
		Images: res.Images, Indexes: res.Indexes, Revisions: res.Revisions, LayerLinks: res.LayerLinks,
		Blobs: res.Blobs, Files: res.Files, Bytes: res.Bytes, LiveRevisions: res.LiveRevisions,
		LiveLayerLinks: res.LiveLayerLinks, LiveBlobs: res.LiveBlobs, LiveBytes: res.LiveBytes,
		Seconds: time.Since(start).Seconds(),
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// summary is gen.Result with counts instead of name lists.
type summary struct {
	Root           string  `json:"root"`
	Repositories   int     `json:"repositories"`
	Tags           int     `json:"tags"`
	RemovedTags    int     `json:"removed_tags"`
	Images         int     `json:"images"`
	Indexes        int     `json:"indexes"`
	Revisions      int     `json:"revisions"`
	LayerLinks     int     `json:"layer_links"`
	Blobs          int     `json:"blobs"`
	Files          int     `json:"files"`
	Bytes          int64   `json:"bytes"`
	LiveRevisions  int     `json:"live_revisions"`
	LiveLayerLinks int     `json:"live_layer_links"`
	LiveBlobs      int     `json:"live_blobs"`
	LiveBytes      int64   `json:"live_bytes"`
	Seconds        float64 `json:"seconds"`
}

func count(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}
