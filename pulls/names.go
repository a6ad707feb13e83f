package pulls

import "github.com/regprune/regprune/storage"

// nameCache validates repository names and tags once each and hands out
// one string per name, so that a pull costs no allocation for a name seen
// before. It forgets everything past maxCached names, to stay bounded.
type nameCache struct {
	repos, tags map[string]string // "" for a name found invalid
}

const maxCached = 1 << 16

func newNameCache() nameCache {
	return nameCache{repos: make(map[string]string), tags: make(map[string]string)}
}

func (c nameCache) repository(b []byte) (string, bool) {
	return c.lookup(c.repos, b, storage.ValidRepository)
}

func (c nameCache) tag(b []byte) (string, bool) { return c.lookup(c.tags, b, storage.ValidTag) }

func (c nameCache) lookup(m map[string]string, b []byte, valid func(string) error) (string, bool) {
	if s, ok := m[string(b)]; ok {
		return s, s != ""
	}
	s := string(b)
	v := s
	if valid(s) != nil {
		v = ""
	}
	if len(m) >= maxCached {
		clear(m)
	}
	m[s] = v
	return v, v != ""
}
