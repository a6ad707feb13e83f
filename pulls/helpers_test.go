package pulls

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// splitDocuments cuts a stream of JSON documents into compact one-line
// documents.
func splitDocuments(t testing.TB, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []string
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, c.String())
	}
}

// eventsOf lists the events of an envelope, compact.
func eventsOf(t testing.TB, envelope string) []string {
	t.Helper()
	var env struct{ Events []json.RawMessage }
	if err := json.Unmarshal([]byte(envelope), &env); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range env.Events {
		out = append(out, string(e))
	}
	return out
}
