package regtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Output is what a served registry writes on stdout and stderr, kept in
// memory and written through to Served.LogFile.
type Output struct {
	mu   sync.Mutex
	buf  strings.Builder
	file *os.File
}

// Write keeps p and writes it to the log file.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if o.file == nil { // an in-process registry's: memory only
		return len(p), nil
	}
	return o.file.Write(p)
}

// String is everything written so far.
func (o *Output) String() string {
	if o == nil {
		return ""
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Lines are the complete lines written so far.
func (o *Output) Lines() []string {
	s := o.String()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[:i], "\n")
	}
	return nil
}

// Matching returns the complete lines for which match is true.
func (o *Output) Matching(match func(line string) bool) []string {
	var out []string
	for _, l := range o.Lines() {
		if match(l) {
			out = append(out, l)
		}
	}
	return out
}

// WaitFor waits up to 10 s until n complete lines match, and returns
// them (in order); it fails t with the output otherwise. The registry
// logs a request after answering it, so a test waits for its line.
func (o *Output) WaitFor(t testing.TB, n int, match func(line string) bool) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := o.Matching(match)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("regtest: %d matching log lines after 10s, want %d; the log:\n%s", len(got), n, o.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Containing is a match for WaitFor and Matching: lines holding every one
// of subs.
func Containing(subs ...string) func(string) bool {
	return func(l string) bool {
		for _, s := range subs {
			if !strings.Contains(l, s) {
				return false
			}
		}
		return true
	}
}

// Event is one registry notification event (the fields tests look at).
type Event struct {
	ID        string    `json:"id"`
	Timestamp time.Time `json:"timestamp"`
	Action    string    `json:"action"` // "push", "pull", "delete", "mount"
	Target    struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Size       int64  `json:"size"`
		Repository string `json:"repository"`
		URL        string `json:"url"`
		Tag        string `json:"tag"`
	} `json:"target"`
	Request struct {
		Method    string `json:"method"`
		UserAgent string `json:"useragent"`
	} `json:"request"`
}

// Events is an in-test notification endpoint: it records every envelope
// the registry posts and answers 200.
type Events struct {
	URL       string
	mu        sync.Mutex
	envelopes [][]byte
	events    []Event
}

func newEvents(t testing.TB) *Events {
	e := &Events{}
	srv := httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(srv.Close)
	e.URL = srv.URL + "/events"
	return e
}

func (e *Events) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var env struct{ Events []Event }
	if err == nil {
		err = json.Unmarshal(body, &env)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	e.envelopes = append(e.envelopes, body)
	e.events = append(e.events, env.Events...)
	e.mu.Unlock()
}

// Envelopes are the bodies posted so far, as received.
func (e *Events) Envelopes() [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]byte(nil), e.envelopes...)
}

// All are the events received so far, in order.
func (e *Events) All() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}

// WaitFor waits up to 10 s until n events match and returns them; it
// fails t with every event received otherwise.
func (e *Events) WaitFor(t testing.TB, n int, match func(Event) bool) []Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []Event
		for _, ev := range e.All() {
			if match(ev) {
				got = append(got, ev)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			all, _ := json.MarshalIndent(e.All(), "", "  ")
			t.Fatalf("regtest: %d matching events after 10s, want %d; received:\n%s", len(got), n, all)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
