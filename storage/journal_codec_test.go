package storage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleRecord holds every kind of entry.
func sampleRecord(t testing.TB) *JournalRecord {
	t.Helper()
	start := time.Date(2026, 12, 2, 6, 59, 52, 53_000_000, time.UTC)
	run, err := NewRunName(start)
	if err != nil {
		t.Fatal(err)
	}
	from, _ := NewRunName(start.Add(-time.Hour))
	return &JournalRecord{
		Run: run, Time: start, Command: "regprune tag rm 'team/app:v1' i:T12",
		Tags: []JournalTag{
			{Repository: "team/app", Tag: "v1", Digest: digestOf("a"), Pushed: start.Add(-48 * time.Hour),
				History: []Digest{digestOf("a"), digestOf("b")}},
			{Repository: "i", Tag: "T12"}, // no valid current link, no history
		},
		Collected: []JournalManifest{{"team/app", digestOf("x")}, {"i", digestOf("y")}, {"i", digestOf("z")}},
		Restored:  []RestoredTag{{Repository: "i", Tag: "T11", Digest: digestOf("c"), From: from}},
	}
}

// The record comes back as written; collected manifests come back sorted.
func TestJournalRoundTrip(t *testing.T) {
	t.Parallel()
	r := sampleRecord(t)
	b, err := EncodeJournal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("regprune journal 1 ")) {
		t.Errorf("header: %q", b[:min(len(b), 40)])
	}
	got, err := DecodeJournal(b)
	if err != nil {
		t.Fatal(err)
	}
	want := *r
	want.Collected = []JournalManifest{{"i", digestOf("y")}, {"i", digestOf("z")}, {"team/app", digestOf("x")}}
	if want.Collected[0].Digest.Compare(want.Collected[1].Digest) > 0 {
		want.Collected[0], want.Collected[1] = want.Collected[1], want.Collected[0]
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("decoded:\n%+v\nwant:\n%+v", *got, want)
	}
}

// reseal rebuilds a record file around a JSON body, with a correct length
// and checksum: what a writer of a bad body would produce.
func reseal(json string) []byte {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(json))
	zw.Close()
	sum := sha256.Sum256(z.Bytes())
	return append(fmt.Appendf(nil, "regprune journal 1 %d sha256:%x\n", z.Len(), sum), z.Bytes()...)
}

// notGzip is a record file whose body, checksum right, is not gzip.
func notGzip() []byte {
	body := "this body is not a gzip stream"
	return fmt.Appendf(nil, "regprune journal 1 %d sha256:%x\n%s", len(body), sha256.Sum256([]byte(body)), body)
}

// Every damage is refused whole, with ErrBadJournal and a reason.
func TestJournalCorrupt(t *testing.T) {
	t.Parallel()
	good, err := EncodeJournal(sampleRecord(t))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	nl := bytes.IndexByte(good, '\n')
	run := sampleRecord(t).Run
	okBody := `{"run":"` + run + `","time":"2026-12-02T06:59:52Z","command":"c","tags":[],"collected":[],"restored":[]}`
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "no header line"},
		{"not a record", []byte("hello\nworld"), "not a regprune journal record"},
		{"version", bytes.Replace(good, []byte("journal 1 "), []byte("journal 2 "), 1), `version "2"; this regprune reads version 1`},
		{"truncated", good[:len(good)-1], "cut short or extended"},
		{"extended", append(bytes.Clone(good), 0), "cut short or extended"},
		{"body byte", flip(len(good) - 10), "checksum does not match"},
		{"checksum", flip(nl - 1), "checksum does not match"},
		{"header only", good[:nl+1], "cut short"},
		{"not gzip", notGzip(), "gzip: invalid header"},
		{"unknown field", reseal(strings.Replace(okBody, `"command"`, `"extra":1,"command"`, 1)), "unknown field"},
		{"trailing data", reseal(okBody + `{}`), "data after the record"},
		{"bad run", reseal(strings.Replace(okBody, run, "../../x", 1)), "run"},
		{"time and name differ", reseal(strings.Replace(okBody, "06:59:52Z", "06:59:53Z", 1)), "does not match its name"},
		{"bad digest", reseal(strings.Replace(okBody, `"tags":[]`, `"tags":[{"repository":"a","tag":"v1","digest":"sha256:ABC","pushed":"","history":[]}]`, 1)), "bad digest"},
		{"bad repository", reseal(strings.Replace(okBody, `"tags":[]`, `"tags":[{"repository":"../etc","tag":"v1","digest":"","pushed":"","history":[]}]`, 1)), "bad name"},
		{"bad tag", reseal(strings.Replace(okBody, `"tags":[]`, `"tags":[{"repository":"a","tag":"-x","digest":"","pushed":"","history":[]}]`, 1)), "bad name"},
		{"bad push time", reseal(strings.Replace(okBody, `"tags":[]`, `"tags":[{"repository":"a","tag":"v","digest":"","pushed":"yesterday","history":[]}]`, 1)), "push time"},
		{"collected repo", reseal(strings.Replace(okBody, `"collected":[]`, `"collected":[{"repository":"_x","digests":["`+digestOf("a").String()+`"]}]`, 1)), "collected manifest 1"},
		{"restored from", reseal(strings.Replace(okBody, `"restored":[]`, `"restored":[{"repository":"a","tag":"v","digest":"`+digestOf("a").String()+`","from":"x"}]`, 1)), "restored tag 1"},
		{"json", reseal(`{"run":`), "unexpected EOF"},
	}
	for _, c := range cases {
		r, err := DecodeJournal(c.b)
		if r != nil || !errors.Is(err, ErrBadJournal) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: DecodeJournal = %v, %v; want ErrBadJournal saying %q", c.name, r, err, c.want)
		}
	}
	if _, err := DecodeJournal(reseal(okBody)); err != nil {
		t.Errorf("the well-formed body the cases start from is refused: %v", err)
	}
}

// Encode refuses what Decode would refuse.
func TestJournalEncodeRefuses(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*JournalRecord){
		"bad repository": func(r *JournalRecord) { r.Tags[0].Repository = "A" },
		"bad run":        func(r *JournalRecord) { r.Run = "now" },
		"time":           func(r *JournalRecord) { r.Time = r.Time.Add(time.Hour) },
		"zero collected": func(r *JournalRecord) { r.Collected[0].Digest = Digest{} },
	} {
		r := sampleRecord(t)
		change(r)
		if _, err := EncodeJournal(r); !errors.Is(err, ErrBadJournal) && !errors.Is(err, ErrBadName) {
			t.Errorf("%s: EncodeJournal = %v, want an error", name, err)
		}
	}
}
