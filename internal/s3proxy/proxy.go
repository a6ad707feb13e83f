// Package s3proxy is an HTTP reverse proxy in front of an S3 server (MinIO
// in make bench-s3) that adds a fixed delay to every request and counts
// the requests by kind (LIST, GET, HEAD, PUT, DELETE, DeleteObjects and the
// keys they name, other), so that a loopback server behaves, for the
// number of sequential requests a client makes, like remote object
// storage answering in tens of milliseconds.
//
// Bodies pass through unchanged and streamed, and the Host header is kept
// as the client sent it: a client signs (SigV4) for the proxy's address
// and the server checks that same signature. Clients must use path-style
// addressing (/bucket/key), as distribution's s3 drivers do with a
// regionendpoint and forcepathstyle.
//
// Paths beginning with /__ (no bucket name begins with "_") are the
// proxy's own:
//
//	GET /__stats          the counts since the last reset, as JSON on one line (Counts)
//	GET /__stats?reset=1  the same, and start counting anew
//	GET /__delay?d=20ms   set the delay (GET /__delay prints it)
package s3proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards requests to an S3 server, delayed and counted.
type Proxy struct {
	rp    *httputil.ReverseProxy
	delay atomic.Int64 // nanoseconds

	mu       sync.Mutex
	rewrite  ETagRewrite
	counts   Counts
	since    time.Time
	inFlight int64
}

// New is a proxy to the S3 server at target (scheme and host:port) that
// delays each request by delay.
func New(target *url.URL, delay time.Duration) *Proxy {
	t := &http.Transport{
		Proxy:               nil, // straight to the server, whatever HTTP_PROXY says
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024, // as many connections as clients keep open to the proxy
		IdleConnTimeout:     90 * time.Second,
		// No Accept-Encoding of the proxy's own, no decompression: the
		// client gets the server's response as the server wrote it.
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
	}
	p := &Proxy{since: time.Now(), counts: newCounts()}
	p.delay.Store(int64(delay))
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			// Path, query and Host stay as the client sent them (the
			// signature covers them); only the connection goes elsewhere.
			r.Out.URL.Scheme = target.Scheme
			r.Out.URL.Host = target.Host
		},
		Transport:      t,
		ModifyResponse: p.modifyResponse,
		ErrorLog:       log.New(os.Stderr, "s3proxy: ", log.LstdFlags),
	}
	return p
}

// Delay is the delay added to each request.
func (p *Proxy) Delay() time.Duration { return time.Duration(p.delay.Load()) }

// SetDelay changes the delay of the requests that arrive from now on.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// Stats returns the counts since the last reset and, with reset, starts
// counting anew.
func (p *Proxy) Stats(reset bool) Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	c.Delay = p.Delay().String()
	c.Seconds = time.Since(p.since).Seconds()
	if reset {
		p.counts = newCounts()
		p.counts.InFlightMax = p.inFlight
		p.since = time.Now()
	} else { // a copy the caller may keep while counting goes on
		c.Ops, c.Paths, c.Status = clone(c.Ops), clone(c.Paths), clone(c.Status)
	}
	return c
}

func clone(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__") {
		p.control(w, r)
		return
	}
	req := Classify(r.Method, r.URL, r.Header)
	p.begin(req)
	var keys *keyCounter
	if req.Kind == DeleteObjects && r.Body != nil {
		keys = &keyCounter{ReadCloser: r.Body}
		r.Body = keys
	}
	sw := &statusWriter{ResponseWriter: w}
	if sleep(r.Context(), p.Delay()) {
		p.rp.ServeHTTP(sw, r)
	} else {
		sw.status = 499 // the client went away during the delay
	}
	p.end(sw.status, keys.count())
}

func (p *Proxy) begin(r Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.add(r)
	p.inFlight++
	p.counts.InFlightMax = max(p.counts.InFlightMax, p.inFlight)
}

func (p *Proxy) end(status int, keys int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	p.counts.done(status, keys)
}

// sleep waits d, or until ctx ends; it says whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (p *Proxy) control(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/__stats":
		c := p.Stats(r.URL.Query().Get("reset") == "1")
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w) // one line: a record of bench-s3.sh takes it as is
		enc.SetEscapeHTML(false)  // <repo>, not \u003crepo\u003e
		_ = enc.Encode(c)
	case "/__delay":
		if s := r.URL.Query().Get("d"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				http.Error(w, fmt.Sprintf("s3proxy: delay %q: not a duration >= 0", s), http.StatusBadRequest)
				return
			}
			p.SetDelay(d)
		}
		fmt.Fprintln(w, p.Delay())
	default:
		http.NotFound(w, r)
	}
}

// statusWriter remembers the status of the response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 { // 1xx are interim
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (which the reverse proxy flushes
// through) reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
