package s3proxy

import (
	"bytes"
	"io"
	"sync/atomic"
)

// keyTag opens each key of a DeleteObjects body
// (<Delete><Object><Key>k</Key></Object>...</Delete>), as the AWS SDKs
// write it.
var keyTag = []byte("<Key>")

// keyCounter passes a request body through unchanged, counting the
// occurrences of keyTag in it, also across the boundaries of reads.
type keyCounter struct {
	io.ReadCloser
	n    atomic.Int64 // read by the handler while the transport may still read the body
	tail []byte       // the last len(keyTag)-1 bytes read, which may begin a tag
	buf  []byte
}

func (k *keyCounter) Read(p []byte) (int, error) {
	n, err := k.ReadCloser.Read(p)
	if n > 0 {
		k.scan(p[:n])
	}
	return n, err
}

func (k *keyCounter) scan(b []byte) {
	// The tail is shorter than a tag, so no tag lies wholly inside it and
	// none is counted twice.
	k.buf = append(append(k.buf[:0], k.tail...), b...)
	k.n.Add(int64(bytes.Count(k.buf, keyTag)))
	keep := min(len(keyTag)-1, len(k.buf))
	k.tail = append(k.tail[:0], k.buf[len(k.buf)-keep:]...)
}

// count is the number of keys read so far; 0 for a nil counter.
func (k *keyCounter) count() int64 {
	if k == nil {
		return 0
	}
	return k.n.Load()
}
