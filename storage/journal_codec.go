package storage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A journal record's file is one header line and a gzip-compressed JSON
// body:
//
//	regprune journal 1 <body length> sha256:<hex of the body>\n
//	<body: gzip of {"run":...,"time":...,"command":...,"tags":[...],
//	                "collected":[...],"restored":[...]}>
//
// The version says how to read the rest; the length and checksum prove
// the body whole (beside gzip's own CRC), so that a record cut short or
// changed is refused whole, never used in part. Collected manifests are
// grouped by repository: a gc removing 100,000 manifests writes about
// 3.5 MB.
const (
	journalMagic   = "regprune journal"
	JournalVersion = 1
	// JournalFileLimit bounds a record file read from storage.
	JournalFileLimit = 256 << 20
	// journalBodyLimit bounds a record's JSON, uncompressed.
	journalBodyLimit = 1 << 30
	maxHeaderLen     = 128
)

type wireRecord struct {
	Run       string          `json:"run"`
	Time      string          `json:"time"`
	Command   string          `json:"command"`
	Tags      []wireTag       `json:"tags"`
	Collected []wireCollected `json:"collected"`
	Restored  []wireRestored  `json:"restored"`
}

type wireTag struct {
	Repository string   `json:"repository"`
	Tag        string   `json:"tag"`
	Digest     string   `json:"digest"` // "" when the tag had no valid current link
	Pushed     string   `json:"pushed"` // RFC 3339, "" when unknown
	History    []string `json:"history"`
}

type wireCollected struct {
	Repository string   `json:"repository"`
	Digests    []string `json:"digests"`
}

type wireRestored struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"`
	From       string `json:"from"`
}

// EncodeJournal writes r in its file format. It refuses (ErrBadJournal) a
// record DecodeJournal would refuse.
func EncodeJournal(r *JournalRecord) ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	w := wireRecord{Run: r.Run, Time: r.Time.UTC().Format(time.RFC3339Nano), Command: r.Command,
		Tags: []wireTag{}, Collected: []wireCollected{}, Restored: []wireRestored{}}
	for _, t := range r.Tags {
		wt := wireTag{Repository: t.Repository, Tag: t.Tag, History: make([]string, len(t.History))}
		if !t.Digest.IsZero() {
			wt.Digest = t.Digest.String()
		}
		if !t.Pushed.IsZero() {
			wt.Pushed = t.Pushed.UTC().Format(time.RFC3339Nano)
		}
		for i, d := range t.History {
			wt.History[i] = d.String()
		}
		w.Tags = append(w.Tags, wt)
	}
	w.Collected = groupCollected(r.Collected)
	for _, t := range r.Restored {
		w.Restored = append(w.Restored, wireRestored{t.Repository, t.Tag, t.Digest.String(), t.From})
	}
	var body bytes.Buffer
	zw, err := gzip.NewWriterLevel(&body, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(w); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body.Bytes())
	out := fmt.Appendf(nil, "%s %d %d sha256:%x\n", journalMagic, JournalVersion, body.Len(), sum)
	return append(out, body.Bytes()...), nil
}

// groupCollected sorts manifests by repository and digest, one group a
// repository.
func groupCollected(ms []JournalManifest) []wireCollected {
	s := slices.Clone(ms)
	slices.SortFunc(s, func(a, b JournalManifest) int {
		if c := strings.Compare(a.Repository, b.Repository); c != 0 {
			return c
		}
		return a.Digest.Compare(b.Digest)
	})
	out := []wireCollected{}
	for i, m := range s {
		if i > 0 && m == s[i-1] {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Repository != m.Repository {
			out = append(out, wireCollected{Repository: m.Repository})
		}
		g := &out[len(out)-1]
		g.Digests = append(g.Digests, m.Digest.String())
	}
	return out
}

// DecodeJournal reads a record EncodeJournal wrote. Anything else is an
// error wrapping ErrBadJournal saying what is wrong: another version, a
// length or checksum that does not match, a body that is not gzip or not
// the JSON of a record (unknown fields and trailing data included), or a
// field out of its grammar. No part of a refused record is returned.
func DecodeJournal(b []byte) (*JournalRecord, error) {
	body, err := journalBody(b)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: body: %w", ErrBadJournal, err)
	}
	zr.Multistream(false)
	raw, err := io.ReadAll(io.LimitReader(zr, journalBodyLimit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: body: %w", ErrBadJournal, err)
	}
	if len(raw) > journalBodyLimit {
		return nil, fmt.Errorf("%w: body larger than %d bytes", ErrBadJournal, journalBodyLimit)
	}
	var w wireRecord
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: body: %w", ErrBadJournal, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: body: data after the record", ErrBadJournal)
	}
	r, err := w.record()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadJournal, err)
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// journalBody checks the header line and returns the body it vouches for.
func journalBody(b []byte) ([]byte, error) {
	nl := bytes.IndexByte(b[:min(len(b), maxHeaderLen)], '\n')
	if nl < 0 {
		return nil, fmt.Errorf("%w: no header line", ErrBadJournal)
	}
	f := strings.Split(string(b[:nl]), " ")
	if len(f) < 3 || f[0]+" "+f[1] != journalMagic {
		return nil, fmt.Errorf("%w: not a regprune journal record", ErrBadJournal)
	}
	if f[2] != strconv.Itoa(JournalVersion) {
		return nil, fmt.Errorf("%w: version %q; this regprune reads version %d", ErrBadJournal, clip(f[2]), JournalVersion)
	}
	body := b[nl+1:]
	if len(f) != 5 || f[3] != strconv.Itoa(len(body)) {
		return nil, fmt.Errorf("%w: header %q: the body holds %d bytes (cut short or extended)", ErrBadJournal, clip(string(b[:nl])), len(body))
	}
	sum := sha256.Sum256(body)
	if f[4] != "sha256:"+hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("%w: checksum does not match the body", ErrBadJournal)
	}
	return body, nil
}

// record converts the wire form, parsing every digest and time.
func (w *wireRecord) record() (*JournalRecord, error) {
	t, err := parseRecordTime(w.Time)
	if err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	r := &JournalRecord{Run: w.Run, Time: t, Command: w.Command}
	for i, wt := range w.Tags {
		jt, err := wt.tag()
		if err != nil {
			return nil, fmt.Errorf("tag %d: %w", i+1, err)
		}
		r.Tags = append(r.Tags, jt)
	}
	for _, g := range w.Collected {
		for _, s := range g.Digests {
			d, err := ParseDigest(s)
			if err != nil {
				return nil, fmt.Errorf("collected in %s: %w", clip(g.Repository), err)
			}
			r.Collected = append(r.Collected, JournalManifest{Repository: g.Repository, Digest: d})
		}
	}
	for i, wr := range w.Restored {
		d, err := ParseDigest(wr.Digest)
		if err != nil {
			return nil, fmt.Errorf("restored tag %d: %w", i+1, err)
		}
		r.Restored = append(r.Restored, RestoredTag{Repository: wr.Repository, Tag: wr.Tag, Digest: d, From: wr.From})
	}
	return r, nil
}

func (wt wireTag) tag() (JournalTag, error) {
	jt := JournalTag{Repository: wt.Repository, Tag: wt.Tag}
	var err error
	if wt.Digest != "" {
		if jt.Digest, err = ParseDigest(wt.Digest); err != nil {
			return jt, err
		}
	}
	if wt.Pushed != "" {
		if jt.Pushed, err = parseRecordTime(wt.Pushed); err != nil {
			return jt, fmt.Errorf("push time: %w", err)
		}
	}
	for _, s := range wt.History {
		d, err := ParseDigest(s)
		if err != nil {
			return jt, fmt.Errorf("history: %w", err)
		}
		jt.History = append(jt.History, d)
	}
	return jt, nil
}

func parseRecordTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339", clip(s))
	}
	if !validRecordTime(t) {
		return time.Time{}, fmt.Errorf("%q: out of range", clip(s))
	}
	return t.UTC(), nil
}
