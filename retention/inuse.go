package retention

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/regprune/regprune/storage"
)

// ImageRef is an image reference in use (a --keep-refs list), read as a
// container runtime reads it (docker's rules: a first component with a
// '.' or ':', or "localhost", or an upper-case letter, is a registry host;
// no host means Docker Hub, whose one-component names live under
// "library/"; no tag and no digest means "latest").
type ImageRef struct {
	Text       string         // as written
	Source     string         // where: "pods.txt line 12", "pods.txt line 1 word 7"
	Host       string         // "docker.io" for Docker Hub, named or implied
	Repository string         // the path within Host: "team/app", "library/nginx"
	Tag        string         // "" for a digest-only reference
	Digest     storage.Digest // zero without a sha256 digest
	hostless   bool           // no host written: Docker Hub, or a runtime's short-name search
	short      string         // the name as written when hostless ("nginx" for library/nginx)
}

// Reason is the reason a tag this reference keeps is kept for.
func (r ImageRef) Reason() string { return "in use: " + r.Source }

// Repositories lists the repositories of a storage the reference may
// name: its path, and, for a name written without a host (nginx, which a
// runtime reads as docker.io/library/nginx but CRI-O and podman may look up
// as a short name in a registry of their own search list), the name as
// written too. Keeping too much is the safe side.
func (r ImageRef) Repositories() []string {
	if r.hostless && r.short != r.Repository {
		return []string{r.Repository, r.short}
	}
	return []string{r.Repository}
}

// ImageRefError is a reference of the list that no runtime could pull: it
// keeps nothing, and the command reports it.
type ImageRefError struct {
	Source, Text string
	Err          error
}

func (e *ImageRefError) Error() string { return fmt.Sprintf("%s: %q: %v", e.Source, e.Text, e.Err) }

func (e *ImageRefError) Unwrap() error { return e.Err }

// maxRefLen bounds one reference (distribution's names stop at 255
// bytes, tags at 128, digests at 71 for sha256).
const maxRefLen = 1024

// ParseImageRefs reads a list of image references separated by any white space
// (one a line, or all on one line as kubectl get pods -A -o
// jsonpath='{..image}' prints them); '#' starts a comment to the end of
// the line. name names the list in sources ("pods.txt"; "-" reads as
// "stdin"). References no runtime could pull (bad syntax, a digest of an
// algorithm the storage does not use, longer than 1 KiB) come back as
// invalid, each with its place; err is only r's own error.
func ParseImageRefs(r io.Reader, name string) (refs []ImageRef, invalid []*ImageRefError, err error) {
	if name == "-" {
		name = "stdin"
	}
	br := bufio.NewReader(r)
	var word strings.Builder
	line, words, comment, long := 1, 0, false, false
	flush := func() {
		if word.Len() == 0 && !long {
			return
		}
		words++
		src := fmt.Sprintf("%s line %d", name, line)
		if words > 1 {
			src += fmt.Sprintf(" word %d", words)
		}
		text := word.String()
		word.Reset()
		if long {
			long = false
			invalid = append(invalid, &ImageRefError{Source: src, Text: text + "…", Err: fmt.Errorf("longer than %d bytes", maxRefLen)})
			return
		}
		ref, err := ParseImageRef(text)
		if err != nil {
			invalid = append(invalid, &ImageRefError{Source: src, Text: text, Err: err})
			return
		}
		ref.Source = src
		refs = append(refs, ref)
	}
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			flush()
			return refs, invalid, nil
		}
		if err != nil {
			return refs, invalid, fmt.Errorf("%s: %w", name, err)
		}
		switch {
		case c == '\n':
			flush()
			line, words, comment = line+1, 0, false
		case comment:
		case c == '#':
			flush()
			comment = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			flush()
		case word.Len() >= maxRefLen:
			long = true
		default:
			word.WriteByte(c)
		}
	}
}

// ParseImageRef reads one image reference (Source left empty). The
// "docker-pullable://" and "docker://" prefixes of a pod's imageID (as
// the docker runtime reported it) are dropped.
func ParseImageRef(text string) (ImageRef, error) {
	name := strings.TrimPrefix(strings.TrimPrefix(text, "docker-pullable://"), "docker://")
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return ImageRef{}, err
	}
	ref := ImageRef{
		Text:       text,
		Host:       reference.Domain(named),
		Repository: reference.Path(named),
	}
	if host, _ := storage.SplitHost(name); host == "" {
		ref.hostless = true
		ref.short, _, _ = strings.Cut(strings.SplitN(name, "@", 2)[0], ":")
	}
	if tagged, ok := named.(reference.Tagged); ok {
		ref.Tag = tagged.Tag()
	}
	if digested, ok := named.(reference.Digested); ok {
		d, err := storage.ParseDigest(digested.Digest().String())
		if err != nil {
			return ImageRef{}, errors.New("a digest of another algorithm than sha256: the storage holds sha256 only")
		}
		ref.Digest = d
	} else if ref.Tag == "" {
		ref.Tag = "latest"
	}
	return ref, nil
}

// ImageRefSet is a list of references in use, indexed by repository.
type ImageRefSet struct {
	byRepo map[string][]ImageRef
	refs   []ImageRef
	other  []ImageRef
}

// NewImageRefSet indexes refs. With host set (--registry-host), a reference
// naming another host is set aside (OtherHosts) and keeps nothing; a
// reference without a host names docker.io. Hosts compare without regard
// to case, ports included ("registry:5000" is not "registry").
func NewImageRefSet(refs []ImageRef, host string) *ImageRefSet {
	s := &ImageRefSet{byRepo: make(map[string][]ImageRef)}
	host = normalizeHost(host)
	for _, r := range refs {
		if host != "" && normalizeHost(r.Host) != host {
			s.other = append(s.other, r)
			continue
		}
		s.refs = append(s.refs, r)
		for _, repo := range r.Repositories() {
			s.byRepo[repo] = append(s.byRepo[repo], r)
		}
	}
	return s
}

// normalizeHost lowers a host's case and names Docker Hub docker.io.
func normalizeHost(h string) string {
	h = strings.ToLower(h)
	if h == "index.docker.io" {
		return "docker.io"
	}
	return h
}

// OtherHosts lists the references set aside for naming another host.
func (s *ImageRefSet) OtherHosts() []ImageRef { return s.other }

// Missing lists the references (of the host) none of whose repositories
// the storage holds (exists says which it holds): they keep nothing.
func (s *ImageRefSet) Missing(exists func(repo string) bool) []ImageRef {
	var out []ImageRef
	for _, r := range s.refs {
		found := false
		for _, repo := range r.Repositories() {
			found = found || exists(repo)
		}
		if !found {
			out = append(out, r)
		}
	}
	return out
}

// Keeps finds the first reference of the list (in its order) that keeps a
// tag of repo: one naming the tag, or one whose digest is the tag's
// manifest or a manifest its index reaches at any depth (children). A
// reference with both a tag and a digest (a runtime pulls the digest)
// keeps by either.
func (s *ImageRefSet) Keeps(repo, tag string, digest storage.Digest, children []storage.Digest) (ImageRef, bool) {
	for _, r := range s.byRepo[repo] {
		if r.Tag != "" && r.Tag == tag {
			return r, true
		}
		if !r.Digest.IsZero() && (r.Digest == digest || slices.Contains(children, r.Digest)) {
			return r, true
		}
	}
	return ImageRef{}, false
}

// HasDigests says whether a reference by digest names repository repo:
// only then can a tag's index children matter to Keeps.
func (s *ImageRefSet) HasDigests(repo string) bool {
	for _, r := range s.byRepo[repo] {
		if !r.Digest.IsZero() {
			return true
		}
	}
	return false
}

// Len is the number of references that may keep tags (those of the host,
// with --registry-host).
func (s *ImageRefSet) Len() int { return len(s.refs) }
