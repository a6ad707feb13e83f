package pulls

import (
	"encoding/json"
)

// notification is the part of a registry notification event Read uses.
// The registry POSTs envelopes {"events":[...]} to its endpoints; sites
// archive either the envelopes or the events, one JSON document a line.
type notification struct {
	Action    string `json:"action"`
	Timestamp string `json:"timestamp"`
	Target    struct {
		MediaType  string `json:"mediaType"`
		Repository string `json:"repository"`
		Digest     string `json:"digest"`
		Tag        string `json:"tag"`
		URL        string `json:"url"`
	} `json:"target"`
}

// counted is the "reason" of a line whose events were counted one by one.
const counted Reason = -2

// notificationLine reads an envelope (envelope true) or a single event.
// Each event counts once in the Stats: as a pull or a skip.
func (p *parser) notificationLine(b []byte, envelope bool, prefix int64, hasPrefix bool) Reason {
	var events []notification
	if envelope {
		var env struct {
			Events []notification `json:"events"`
		}
		if json.Unmarshal(b, &env) != nil {
			return Malformed
		}
		events = env.Events
	} else {
		var e notification
		if json.Unmarshal(b, &e) != nil {
			return Malformed
		}
		events = []notification{e}
	}
	if len(events) == 0 {
		return NotRequest
	}
	for i := range events {
		p.count(p.notificationEvent(&events[i], prefix, hasPrefix))
	}
	return counted
}

// notificationEvent reads one event. The registry sends "pull" for a
// manifest fetched (GET or HEAD, by tag: with its tag and digest) and for
// a blob fetched; blob pulls, pushes, mounts and deletes are no pulls of a
// manifest. A 304 answer sends no event.
func (p *parser) notificationEvent(e *notification, prefix int64, hasPrefix bool) Reason {
	var own []byte
	if e.Timestamp != "" {
		own = []byte(e.Timestamp)
	}
	t, has, future := p.lineTime(own, parseRFC3339, prefix, hasPrefix)
	switch {
	case future:
		return FutureTime
	case e.Action != "pull":
		return OtherEvent
	}
	p.stats.Success++
	if !manifestEvent(e) {
		return OtherEvent
	}
	if e.Target.Tag == "" && e.Target.Digest == "" {
		return Malformed
	}
	return p.emit([]byte(e.Target.Repository), []byte(e.Target.Tag), []byte(e.Target.Digest), t, has)
}

// manifestEvent tells a manifest pull from a blob pull: a tag, or a URL of
// a manifest, or (without a URL) a manifest media type.
func manifestEvent(e *notification) bool {
	if e.Target.Tag != "" {
		return true
	}
	if e.Target.URL != "" {
		var scratch []byte
		_, _, ok, _ := manifestPath([]byte(e.Target.URL), &scratch)
		return ok
	}
	return manifestMediaTypes[e.Target.MediaType]
}

var manifestMediaTypes = map[string]bool{
	"application/vnd.docker.distribution.manifest.v1+json":      true,
	"application/vnd.docker.distribution.manifest.v1+prettyjws": true,
	"application/vnd.docker.distribution.manifest.v2+json":      true,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
	"application/vnd.oci.image.manifest.v1+json":                true,
	"application/vnd.oci.image.index.v1+json":                   true,
}
