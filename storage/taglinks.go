package storage

import (
	"context"
	"crypto/md5" //nolint:gosec // S3's ETag of a single-PUT object is the MD5 of its content
	"strings"
	"time"
)

// TagLinks is what one listing of a repository's tags says of one tag:
// whether its current link exists, its size, modification time (the
// tag's last push) and ETag, and the digests of its history (index/).
type TagLinks struct {
	Exists  bool
	Size    int64
	ModTime time.Time
	ETag    string
	History []Digest
}

// Known returns the content of the tag's current link when the listing
// alone tells it: the link has a link's size and its ETag is the MD5 of
// the link content of exactly one digest of the tag's history (S3 gives a
// single-PUT object without KMS encryption the MD5 of its content as
// ETag, and every digest a tag named has an index/ entry). Otherwise
// (another ETag form: KMS, multipart, a server of its own ways) the link
// must be read.
func (t TagLinks) Known() (Digest, bool) {
	want, md5Form := MD5ETag(strings.ToLower(t.ETag))
	if !t.Exists || t.Size != int64(LinkSize) || !md5Form {
		return Digest{}, false
	}
	var found Digest
	matched := false
	for _, d := range t.History {
		sum := md5.Sum([]byte(d.String())) //nolint:gosec // see above
		if sum != want {
			continue
		}
		if matched && d != found {
			return Digest{}, false // two candidates: no telling
		}
		found, matched = d, true
	}
	return found, matched
}

// ListTagLinks lists, on object storage with bulk access, repo's tags in
// one listing (a thousand keys a request): for each of names, what the
// listing says of its current link and its history. ok is false
// elsewhere, where nothing is listed. A history entry whose name is not a
// digest is left out (TagHistories reports it).
func (s *Storage) ListTagLinks(ctx context.Context, repo string, names []string) (links []TagLinks, ok bool, err error) {
	if s.objects == nil {
		return nil, false, nil
	}
	if err := ValidRepository(repo); err != nil {
		return nil, false, err
	}
	want := make(map[string]int, len(names))
	for i, t := range names {
		want[t] = i
	}
	links = make([]TagLinks, len(names))
	root := TagsPath(repo) + "/"
	current := CurrentDir + "/" + LinkFile
	history := indexDir[1:] + "/" // "index/sha256/"
	err = s.objects.listKeys(ctx, TagsPath(repo), func(k listed) {
		tag, rest, _ := strings.Cut(strings.TrimPrefix(k.path, root), "/")
		i, ok := want[tag]
		switch {
		case !ok || !safeDriverPath(k.path):
		case rest == current:
			links[i].Exists, links[i].Size, links[i].ModTime, links[i].ETag = true, k.size, k.mod, k.etag
		case strings.HasPrefix(rest, history):
			name, _, _ := strings.Cut(rest[len(history):], "/")
			if d, err := ParseHex(name); err == nil {
				links[i].History = append(links[i].History, d)
			}
		}
	})
	if err != nil {
		return nil, true, err
	}
	return links, true, nil
}
