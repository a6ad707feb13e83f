package pulls

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/regprune/regprune/storage"
)

// body reads every line up to and including the checksum line, checking
// that each is where Encode would put it, so that a history that decodes
// encodes back to the same text.
func (d *decoder) body() error {
	first, err := d.read()
	if err != nil {
		return err
	}
	if v, ok := strings.CutPrefix(first, header+" "); !ok {
		return fmt.Errorf("not a pull history (%q)", clip(first))
	} else if v != strconv.Itoa(version) {
		return fmt.Errorf("version %q; this regprune reads version %d", clip(v), version)
	}
	d.sum.Write([]byte(first + "\n"))
	var r record
	for {
		l, err := d.read()
		if err != nil {
			return err
		}
		kind, rest, _ := strings.Cut(l, " ")
		if kind == "sha256" {
			if err := r.endRepository(); err != nil {
				return err
			}
			if rest != d.checksum() {
				return fmt.Errorf("checksum %q does not match the content (sha256 %s)", clip(rest), d.checksum())
			}
			return nil
		}
		if err := r.add(d.h, kind, rest); err != nil {
			return err
		}
		d.sum.Write([]byte(l + "\n"))
	}
}

// read reads the next line without its newline.
func (d *decoder) read() (string, error) {
	b, err := d.in.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		d.line++
		return "", fmt.Errorf("longer than %d bytes", maxLineBytes)
	case errors.Is(err, errTooLarge):
		return "", err
	case err == io.EOF:
		d.line++
		return "", errors.New("truncated: the checksum line is missing")
	case err != nil:
		d.line++
		return "", fmt.Errorf("truncated or corrupt: %w", err)
	}
	d.line++
	return string(b[:len(b)-1]), nil
}

// record is where the decoder stands: the repository being read and the
// last coverage range, tag and digest, to check their order.
type record struct {
	spans      int
	lastEnd    int64
	repo       string
	pulls      *repoPulls
	lastTag    string
	lastDigest storage.Digest
	digests    bool
}

func (r *record) add(h *History, kind, rest string) error {
	switch kind {
	case "coverage":
		return r.coverage(h, rest)
	case "repository":
		return r.repository(h, rest)
	case "tag":
		return r.tag(rest)
	case "digest":
		return r.digest(rest)
	}
	return fmt.Errorf("unknown record %q", clip(kind))
}

func (r *record) coverage(h *History, rest string) error {
	if r.repo != "" {
		return errors.New("coverage after a repository")
	}
	a, b, _ := strings.Cut(rest, " ")
	start, ok1 := parseTime(a)
	end, ok2 := parseTime(b)
	switch {
	case !ok1 || !ok2:
		return fmt.Errorf("coverage %q: want two times in Unix seconds", clip(rest))
	case start > end:
		return fmt.Errorf("coverage %q: ends before it starts", clip(rest))
	case r.spans > 0 && start <= r.lastEnd+1:
		return fmt.Errorf("coverage %q: overlaps or touches the range before, or comes before it", clip(rest))
	}
	h.coverage = append(h.coverage, span{start, end})
	r.spans++
	r.lastEnd = end
	return nil
}

func (r *record) repository(h *History, name string) error {
	if err := r.endRepository(); err != nil {
		return err
	}
	if err := storage.ValidRepository(name); err != nil {
		return err
	}
	if r.repo != "" && name <= r.repo {
		return fmt.Errorf("repository %q: not after %q", name, r.repo)
	}
	r.repo, r.lastTag, r.lastDigest, r.digests = name, "", storage.Digest{}, false
	r.pulls = &repoPulls{tags: make(map[string]int64), digests: make(map[storage.Digest]int64)}
	h.repos[name] = r.pulls
	return nil
}

// endRepository checks that the repository read last had a pull.
func (r *record) endRepository() error {
	if r.pulls != nil && len(r.pulls.tags) == 0 && len(r.pulls.digests) == 0 {
		return fmt.Errorf("repository %q without pulls", r.repo)
	}
	return nil
}

func (r *record) tag(rest string) error {
	tag, ts, _ := strings.Cut(rest, " ")
	switch t, ok := parseTime(ts); {
	case r.pulls == nil || r.digests:
		return fmt.Errorf("tag %q: not within a repository, before its digests", clip(tag))
	case storage.ValidTag(tag) != nil:
		return fmt.Errorf("tag %q: not a valid tag", clip(tag))
	case r.lastTag != "" && tag <= r.lastTag:
		return fmt.Errorf("tag %q: not after %q", tag, r.lastTag)
	case !ok:
		return fmt.Errorf("tag %q: time %q: want Unix seconds", tag, clip(ts))
	default:
		r.pulls.tags[tag] = t
		r.lastTag = tag
	}
	return nil
}

func (r *record) digest(rest string) error {
	ds, ts, _ := strings.Cut(rest, " ")
	d, err := storage.ParseDigest(ds)
	switch t, ok := parseTime(ts); {
	case r.pulls == nil:
		return fmt.Errorf("digest %q: not within a repository", clip(ds))
	case err != nil:
		return err
	case r.digests && d.Compare(r.lastDigest) <= 0:
		return fmt.Errorf("digest %s: not after %s", d, r.lastDigest)
	case !ok:
		return fmt.Errorf("digest %s: time %q: want Unix seconds", d, clip(ts))
	default:
		r.pulls.digests[d] = t
		r.lastDigest, r.digests = d, true
	}
	return nil
}

// parseTime reads Unix seconds as Encode writes them: decimal digits, no
// sign, no leading zero, within the range validTime allows.
func parseTime(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 12 || s[0] == '0' {
		return 0, false
	}
	n, ok := digits([]byte(s))
	return int64(n), ok && validTime(int64(n))
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
