package s3proxy

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// ETagRewrite, when set, gives the ETag a client sees of key in place of
// the server's (both without quotes): in listings (ListObjectsV2 and
// ListObjects bodies) and in the ETag header of GET and HEAD responses.
// Tests use it to play an S3 whose ETags are not MD5s (KMS encryption,
// multipart uploads), which MinIO does not make.
type ETagRewrite func(key, etag string) string

// SetETagRewrite sets (nil: removes) the ETag rewrite of the responses to
// requests that arrive from now on.
func (p *Proxy) SetETagRewrite(f ETagRewrite) {
	p.mu.Lock()
	p.rewrite = f
	p.mu.Unlock()
}

func (p *Proxy) etagRewrite() ETagRewrite {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rewrite
}

var (
	contentsRE = regexp.MustCompile(`(?s)<Contents>.*?</Contents>`)
	keyRE      = regexp.MustCompile(`(?s)<Key>(.*?)</Key>`)
	etagRE     = regexp.MustCompile(`(?s)<ETag>(.*?)</ETag>`)
)

// modifyResponse applies the ETag rewrite, if any, to a response.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	f := p.etagRewrite()
	if f == nil || resp.StatusCode/100 != 2 {
		return nil
	}
	r := resp.Request
	req := Classify(r.Method, r.URL, r.Header)
	switch req.Kind {
	case Get, Head:
		if e := resp.Header.Get("ETag"); e != "" {
			resp.Header.Set("ETag", `"`+f(req.Key, strings.Trim(e, `"`))+`"`)
		}
	case List:
		b, err := plainBody(resp)
		if err != nil {
			return err
		}
		encoded := r.URL.Query().Get("encoding-type") == "url"
		b = contentsRE.ReplaceAllFunc(b, func(c []byte) []byte {
			k := keyRE.FindSubmatch(c)
			if k == nil {
				return c
			}
			key := html.UnescapeString(string(k[1]))
			if encoded {
				if u, err := url.QueryUnescape(key); err == nil {
					key = u
				}
			}
			return etagRE.ReplaceAllFunc(c, func(e []byte) []byte {
				old := strings.Trim(html.UnescapeString(string(etagRE.FindSubmatch(e)[1])), `"`)
				return []byte("<ETag>&#34;" + html.EscapeString(f(key, old)) + "&#34;</ETag>")
			})
		})
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	}
	return nil
}

// plainBody reads a response's body, uncompressed (MinIO gzips larger
// listings for a client that accepts it), and drops its encoding.
func plainBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	switch enc := resp.Header.Get("Content-Encoding"); enc {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, err
		}
		r = zr
		resp.Header.Del("Content-Encoding")
	default:
		return nil, fmt.Errorf("s3proxy: cannot rewrite ETags in a body encoded %q", enc)
	}
	return io.ReadAll(r)
}
