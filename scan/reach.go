package scan

import (
	"context"
	"fmt"

	"github.com/regprune/regprune/storage"
)

// maxIndexManifests bounds the manifests one index may reach: an index
// is at most 4 MiB (the registry's limit), so a few tens of thousands of
// descriptors at most; more is a loop of indexes gone wrong.
const maxIndexManifests = 1 << 20

// IndexChildren lists every manifest the manifest d reaches through index
// descriptors, at any depth (children, grandchildren), each once, in the
// order met; none for an image. A pull by digest of any of them is a use
// of d (a client resolves an index, then fetches its platform's manifest
// by digest). It fails, naming the manifest, when d or an index it reaches
// cannot be read or interpreted: the caller cannot know what it reaches.
func IndexChildren(ctx context.Context, mans *Manifests, d storage.Digest) ([]storage.Digest, error) {
	seen := map[storage.Digest]bool{d: true}
	var out []storage.Digest
	queue := []storage.Digest{d}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		m, _, err := mans.Get(ctx, cur)
		if err != nil {
			if cur != d {
				return out, fmt.Errorf("index %s: child %w", d, err)
			}
			return out, err
		}
		for _, ch := range m.Children {
			if seen[ch.Digest] {
				continue
			}
			if len(seen) > maxIndexManifests {
				return out, fmt.Errorf("index %s: %w: reaches more than %d manifests", d, storage.ErrBadManifest, maxIndexManifests)
			}
			seen[ch.Digest] = true
			out = append(out, ch.Digest)
			queue = append(queue, ch.Digest)
		}
	}
	return out, nil
}
