package pulls

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/storage"
)

func TestHistoryUncovered(t *testing.T) {
	h := New()
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	h.Cover(Range{at("2026-11-01T00:00:00Z"), at("2026-11-10T00:00:00Z")},
		Range{at("2026-11-10T00:00:30Z"), at("2026-11-20T00:00:00Z")},
		Range{at("2026-11-25T00:00:00Z"), at("2026-12-01T00:00:00Z")})
	now := at("2026-12-01T00:10:00Z")
	for _, tc := range []struct {
		from  string
		slack time.Duration
		want  string
	}{
		{"2026-11-26T00:00:00Z", time.Hour, ""},
		{"2026-11-26T00:00:00Z", time.Minute, "2026-12-01T00:00:01Z"},
		{"2026-11-02T00:00:00Z", time.Minute, "2026-11-20T00:00:01Z"},
		{"2026-11-02T00:00:00Z", 0, "2026-11-10T00:00:01Z"},
		{"2026-10-31T00:00:00Z", time.Hour, "2026-10-31T00:00:00Z"},
	} {
		got, ok := h.Uncovered(at(tc.from), now, tc.slack)
		if tc.want == "" && ok || tc.want != "" && (!ok || !got.Equal(at(tc.want))) {
			t.Errorf("Uncovered(%s, slack %v) = %v %v, want %q", tc.from, tc.slack, got, ok, tc.want)
		}
	}
	since, ok := h.CoveredSince(now, time.Hour)
	if !ok || !since.Equal(at("2026-11-25T00:00:00Z")) {
		t.Errorf("CoveredSince = %v %v, want 2026-11-25", since, ok)
	}
	if _, ok := h.CoveredSince(now, time.Minute); ok {
		t.Errorf("CoveredSince with a 1-minute slack 10 minutes after the last log: covered")
	}
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func mustDigest(t testing.TB, s string) storage.Digest {
	t.Helper()
	d, err := storage.ParseDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// digestN is a digest made from n, for tests.
func digestN(n int) storage.Digest {
	return storage.Digest(sha256.Sum256([]byte(strconv.Itoa(n))))
}

func encode(t testing.TB, h *History) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := h.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// text is an encoding's uncompressed text.
func text(t testing.TB, enc []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(enc))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sealed compresses a history text body with its checksum line, as Encode
// would.
func sealed(body string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	fmt.Fprintf(zw, "%ssha256 %x\n", body, sha256.Sum256([]byte(body)))
	zw.Close()
	return b.Bytes()
}

func recordFile(t testing.TB, h *History, name string) {
	t.Helper()
	st, err := Read(bytes.NewReader(readFile(t, name)), Options{}, h.Add)
	if err != nil {
		t.Fatal(err)
	}
	h.Cover(st.Covered...)
}

func TestHistoryEncoding(t *testing.T) {
	h := New()
	recordFile(t, h, "testdata/registry-3.1.2-text.log")
	recordFile(t, h, "testdata/registry-3.1.2-notifications.json")
	want := `regprune pull history 1
coverage 1796207742 1796207747
repository team/app
tag v1 1796207745
digest sha256:8b4871d4dce08b30a7c9948bdcbb9a48afe1bb22597a42d5ef21c76210abdb5b 1796207745
repository team/multi
tag v2 1796207745
digest sha256:98164e09555c5a84f590c3bb59d8bd884b6be533ca67473593d1f3c984ad26cb 1796207745
digest sha256:f6bb8d85fb0c8fd4fe7e136c8a809e42dc5f5215664fe2018783395550faf656 1796207745
sha256 `
	enc := encode(t, h)
	got := text(t, enc)
	if !strings.HasPrefix(got, want) {
		t.Fatalf("encoded:\n%s\nwant:\n%s<hex>", got, want)
	}
	// Recording the same logs again, in another order, changes no byte.
	again := New()
	recordFile(t, again, "testdata/registry-3.1.2-notifications.json")
	recordFile(t, again, "testdata/registry-3.1.2-text.log")
	recordFile(t, again, "testdata/registry-3.1.2-text.log")
	if !bytes.Equal(encode(t, again), enc) {
		t.Errorf("recording again changed the encoding:\n%s", text(t, encode(t, again)))
	}
	dec, err := Decode(bytes.NewReader(enc), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encode(t, dec), enc) {
		t.Errorf("decoded history encodes differently:\n%s", text(t, encode(t, dec)))
	}
}

// A later pull wins, an earlier one changes nothing; tags and digests are
// kept apart per repository.
func TestHistoryAdd(t *testing.T) {
	h := New()
	d := digestN(1)
	h.Add(Event{Repository: "a", Tag: "v1", Time: mustTime(t, "2026-12-02T10:00:00Z")})
	h.Add(Event{Repository: "a", Tag: "v1", Time: mustTime(t, "2026-12-01T10:00:00Z")})
	h.Add(Event{Repository: "a", Tag: "v1", Digest: d, Time: mustTime(t, "2026-12-03T10:00:00Z")})
	h.Add(Event{Repository: "b", Digest: d, Time: mustTime(t, "2026-12-04T10:00:00Z")})
	got := fmt.Sprint(h.Pulls("a"), h.Pulls("b"), h.Repositories())
	want := fmt.Sprint([]Pull{{Tag: "v1", Time: mustTime(t, "2026-12-03T10:00:00Z")}, {Digest: d, Time: mustTime(t, "2026-12-03T10:00:00Z")}},
		[]Pull{{Digest: d, Time: mustTime(t, "2026-12-04T10:00:00Z")}}, []string{"a", "b"})
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestHistoryPruneAndMerge(t *testing.T) {
	at := mustTime(t, "2026-12-02T10:00:00Z")
	h := New()
	for i, tag := range []string{"v1", "v2", "v3"} {
		h.Add(Event{Repository: "a", Tag: tag, Digest: digestN(i), Time: at})
	}
	h.Add(Event{Repository: "gone", Tag: "v1", Time: at})
	h.Add(Event{Repository: "empty", Tag: "v1", Time: at})
	h.Prune("a", []string{"v2", "v9"}, []storage.Digest{digestN(0), digestN(9)})
	h.Prune("empty", nil, nil)
	h.Drop("gone")
	h.Prune("unknown", []string{"x"}, nil)
	got := fmt.Sprint(h.Repositories(), h.Pulls("a"))
	want := fmt.Sprint([]string{"a"}, []Pull{{Tag: "v2", Time: at}, {Digest: digestN(0), Time: at}})
	if got != want {
		t.Errorf("pruned: %s, want %s", got, want)
	}
	o := New()
	o.Add(Event{Repository: "a", Tag: "v2", Time: at.Add(time.Hour)})
	o.Add(Event{Repository: "c", Digest: digestN(5), Time: at})
	o.Cover(Range{at, at.Add(time.Hour)})
	h.Cover(Range{at.Add(-time.Hour), at})
	h.Merge(o)
	got = fmt.Sprint(h.Repositories(), h.Pulls("a"), h.Coverage())
	want = fmt.Sprint([]string{"a", "c"}, []Pull{{Tag: "v2", Time: at.Add(time.Hour)}, {Digest: digestN(0), Time: at}},
		[]Range{{at.Add(-time.Hour), at.Add(time.Hour)}})
	if got != want {
		t.Errorf("merged: %s\nwant    %s", got, want)
	}
}

// Encode refuses what Decode would refuse, rather than write a history
// that cannot be read back.
func TestEncodeRefuses(t *testing.T) {
	at := mustTime(t, "2026-12-02T10:00:00Z")
	for name, e := range map[string]Event{
		"bad name": {Repository: "a//b", Tag: "v1", Time: at},
		"bad tag":  {Repository: "a", Tag: "-v1", Time: at},
		"zero":     {Repository: "a", Tag: "v1"},
		"far":      {Repository: "a", Tag: "v1", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		h := New()
		h.Add(e)
		if err := h.Encode(io.Discard); !errors.Is(err, storage.ErrBadHistory) {
			t.Errorf("%s: %v, want storage.ErrBadHistory", name, err)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	const head = "regprune pull history 1\n"
	const repo = "repository a\ntag v1 1796985345\n"
	good := sealed(head + "coverage 1 5\ncoverage 7 9\n" + repo)
	if _, err := Decode(bytes.NewReader(good), 1<<20); err != nil {
		t.Fatalf("the good case: %v", err)
	}
	dg := "digest sha256:" + hexA + " 1796985345\n"
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "EOF"},
		{"not gzip", []byte(head), "invalid header"},
		{"version", sealed("regprune pull history 2\n" + repo), `version "2"; this regprune reads version 1`},
		{"other file", sealed("hello\n"), "not a pull history"},
		{"no checksum", gzipped(head + repo), "line 4: truncated: the checksum line is missing"},
		{"no newline", gzipped(head + "repository a"), "line 2: truncated"},
		{"checksum", gzipped(head + repo + "sha256 " + strings.Repeat("0", 64) + "\n"), "line 4: checksum"},
		{"after checksum", append(sealed(head + repo)[:0:0], gzipped(head+repo+fmt.Sprintf("sha256 %x\n", sha256.Sum256([]byte(head+repo)))+"x")...), "data after the checksum line"},
		{"after stream", append(append([]byte{}, sealed(head+repo)...), 0), "data after the compressed stream"},
		{"cut", good[:len(good)-9], "unexpected EOF"},
		{"crc", flip(good, len(good)-8), "invalid checksum"},
		{"size", flip(good, len(good)-2), "invalid checksum"},
		{"corrupt", flip(good, len(good)/2), ""},
		{"limit", sealed(head + repo + strings.Repeat("tag x 1\n", 0)), ""},
		{"unknown record", sealed(head + "color red\n"), `line 2: unknown record "color"`},
		{"coverage order", sealed(head + "coverage 7 9\ncoverage 1 5\n"), "line 3: coverage"},
		{"coverage touch", sealed(head + "coverage 1 5\ncoverage 6 9\n"), "touches"},
		{"coverage reversed", sealed(head + "coverage 5 1\n"), "ends before it starts"},
		{"coverage late", sealed(head + repo + "coverage 1 5\n"), "coverage after a repository"},
		{"repository order", sealed(head + "repository b\ntag v1 1\nrepository a\ntag v1 1\n"), `repository "a": not after "b"`},
		{"repository twice", sealed(head + repo + repo), `not after`},
		{"bad repository", sealed(head + "repository ../a\ntag v1 1\n"), "bad name"},
		{"empty repository", sealed(head + "repository a\nrepository b\ntag v1 1\n"), `repository "a" without pulls`},
		{"empty last repository", sealed(head + "repository a\n"), `repository "a" without pulls`},
		{"tag order", sealed(head + "repository a\ntag v2 1\ntag v1 1\n"), `tag "v1": not after "v2"`},
		{"tag after digest", sealed(head + "repository a\n" + dg + "tag v1 1\n"), "before its digests"},
		{"tag outside", sealed(head + "tag v1 1\n"), "not within a repository"},
		{"bad tag", sealed(head + "repository a\ntag .v1 1\n"), "not a valid tag"},
		{"digest order", sealed(head + "repository a\n" + dg + dg), "not after"},
		{"bad digest", sealed(head + "repository a\ndigest sha256:ABC 1\n"), "bad digest"},
		{"time zero", sealed(head + "repository a\ntag v1 0\n"), "want Unix seconds"},
		{"time leading zero", sealed(head + "repository a\ntag v1 01\n"), "want Unix seconds"},
		{"time sign", sealed(head + "repository a\ntag v1 +1\n"), "want Unix seconds"},
		{"time far", sealed(head + "repository a\ntag v1 999999999999\n"), "want Unix seconds"},
		{"extra field", sealed(head + "repository a\ntag v1 1 2\n"), "want Unix seconds"},
		{"long line", sealed(head + "repository " + strings.Repeat("a", 600) + "\n"), "longer than 512 bytes"},
		{"crlf", sealed(head + "repository a\r\ntag v1 1\r\n"), "bad name"},
	} {
		limit := int64(1 << 20)
		if tc.name == "limit" {
			limit, tc.want = int64(len(head)), "larger than 24 bytes uncompressed"
		}
		h, err := Decode(bytes.NewReader(tc.in), limit)
		if !errors.Is(err, storage.ErrBadHistory) || !strings.Contains(err.Error(), tc.want) || h != nil {
			t.Errorf("%s: %v, want storage.ErrBadHistory with %q", tc.name, err, tc.want)
		}
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	zw.Close()
	return b.Bytes()
}

func flip(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0x40
	return c
}
