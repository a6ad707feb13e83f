package storage

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeJournal: whatever a record file holds, DecodeJournal returns a
// record or ErrBadJournal, never panics; a record it accepts encodes to a
// file that decodes to the same record (nothing is read in part).
func FuzzDecodeJournal(f *testing.F) {
	good, err := EncodeJournal(sampleRecord(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	run := sampleRecord(f).Run
	f.Add(reseal(`{"run":"` + run + `","time":"2026-12-02T06:59:52Z","command":"c","tags":[{"repository":"a","tag":"v","digest":"","pushed":"","history":[]}],"collected":[],"restored":[]}`))
	f.Add(reseal(`{"run":"` + run + `","time":"2026-12-02T06:59:52Z","command":"","tags":null,"collected":null,"restored":null}`))
	f.Add([]byte("regprune journal 1 0 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeJournal(b)
		if err != nil {
			if r != nil || !errors.Is(err, ErrBadJournal) {
				t.Fatalf("DecodeJournal = %v, %v: an error must come alone and wrap ErrBadJournal", r, err)
			}
			return
		}
		again, err := EncodeJournal(r)
		if err != nil {
			t.Fatalf("an accepted record does not encode: %v", err)
		}
		r2, err := DecodeJournal(again)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip: %+v, %v; want %+v", r2, err, r)
		}
		if again2, _ := EncodeJournal(r2); !bytes.Equal(again, again2) {
			t.Fatal("encoding is not deterministic")
		}
	})
}
