package s3proxy

import "strconv"

// Counts are the requests a proxy forwarded since its last reset.
type Counts struct {
	Total         int64 `json:"total"`
	List          int64 `json:"list"`
	ListBlobs     int64 `json:"list_blobs"`     // LISTs of prefixes in the blob store
	ListDelimited int64 `json:"list_delimited"` // LISTs of one directory level (with a delimiter)
	Get           int64 `json:"get"`
	GetLink       int64 `json:"get_link"`   // GETs of keys ending in /link
	GetData       int64 `json:"get_data"`   // GETs of blob data (a gc reads manifests only)
	GetRanged     int64 `json:"get_ranged"` // GETs with a Range header
	Head          int64 `json:"head"`
	Put           int64 `json:"put"`
	Delete        int64 `json:"delete"`
	DeleteObjects int64 `json:"delete_objects"`
	DeletedKeys   int64 `json:"deleted_keys"` // keys named in DeleteObjects bodies
	Other         int64 `json:"other"`
	// InFlightMax is the most requests in flight at once: 1 for a client
	// that makes one request at a time.
	InFlightMax int64            `json:"in_flight_max"`
	Ops         map[string]int64 `json:"ops"`    // by S3 operation
	Paths       map[string]int64 `json:"paths"`  // by Request.Pattern: what in the storage
	Status      map[string]int64 `json:"status"` // by HTTP status of the response
	Delay       string           `json:"delay"`  // the delay added to each request
	Seconds     float64          `json:"seconds"`
}

func newCounts() Counts {
	return Counts{Ops: map[string]int64{}, Paths: map[string]int64{}, Status: map[string]int64{}}
}

// add counts request r on arrival.
func (c *Counts) add(r Request) {
	c.Total++
	c.Ops[r.Op]++
	c.Paths[r.Pattern()]++
	switch r.Kind {
	case List:
		c.List++
		if r.UnderBlobs() {
			c.ListBlobs++
		}
		if r.Delimited {
			c.ListDelimited++
		}
	case Get:
		c.Get++
		switch r.Object() {
		case "link":
			c.GetLink++
		case "data":
			c.GetData++
		}
		if r.Ranged {
			c.GetRanged++
		}
	case Head:
		c.Head++
	case Put:
		c.Put++
	case Delete:
		c.Delete++
	case DeleteObjects:
		c.DeleteObjects++
	default:
		c.Other++
	}
}

// done counts the response status of a request and the keys its body
// named for deletion.
func (c *Counts) done(status int, keys int64) {
	c.Status[strconv.Itoa(status)]++
	c.DeletedKeys += keys
}

// Errors are the responses other than 2xx and 404 (which a Stat of a
// missing object answers): a signature refused (403) shows here.
func (c Counts) Errors() int64 {
	var n int64
	for s, k := range c.Status {
		if s != "404" && (len(s) != 3 || s[0] != '2') {
			n += k
		}
	}
	return n
}
