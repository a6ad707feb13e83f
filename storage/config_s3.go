package storage

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go/aws/endpoints"
)

// The s3 driver of registry 3.x reads parameters the 2.8 driver that
// regprune runs does not, and accepts values the 2.8 driver refuses. s3
// makes a 3.x configuration fit the 2.8 driver (and regprune's own S3
// client, objects.go, which follows the driver's parameters) without
// changing which bucket and prefix are reached; Notes say what it did.
//
//	forcepathstyle, usedualstack,  booleans, read as 3.x reads them (a value
//	                               that is none is ignored, as 2.8 does).
//	usefipsendpoint, accelerate    With regionendpoint, 2.8 always
//	                               addresses the bucket path-style (3.x:
//	                               only with forcepathstyle); without,
//	                               virtual-hosted. usedualstack and
//	                               usefipsendpoint become the regionendpoint
//	                               the SDK resolves for them (path-style);
//	                               accelerate is dropped (the standard
//	                               endpoint serves the same bucket).
//	region                         optional with regionendpoint in 3.x:
//	                               us-east-1 for 2.8, which wants one.
//	storageclass                   3.x classes 2.8 does not know (STANDARD_IA,
//	                               INTELLIGENT_TIERING, ...) are dropped:
//	                               they only apply to objects written, and
//	                               regprune writes only its own small files.
//	chunksize, multipartcopy*      3.x reads any value whose text begins
//	                               with a number: passed as that number.
//	loglevel, redirectendpoint     3.x only (SDK logging, client redirects):
//	                               dropped.
var s3Only = []string{"forcepathstyle", "usedualstack", "usefipsendpoint", "accelerate"}

// s3Ints are the integer parameters, with the bounds both drivers hold.
var s3Ints = map[string][2]int64{
	"chunksize":                   {5 << 20, 5 << 30},
	"multipartcopychunksize":      {5 << 20, 5 << 30},
	"multipartcopymaxconcurrency": {1, 1<<63 - 1},
	"multipartcopythresholdsize":  {0, 5 << 30},
}

// s3Classes2 are the storage classes distribution 2.8's driver accepts;
// s3Classes3 those 3.x adds.
var (
	s3Classes2 = map[string]bool{"NONE": true, "STANDARD": true, "REDUCED_REDUNDANCY": true}
	s3Classes3 = map[string]bool{"STANDARD_IA": true, "ONEZONE_IA": true, "INTELLIGENT_TIERING": true,
		"OUTPOSTS": true, "GLACIER_IR": true, "EXPRESS_ONEZONE": true}
)

func (cfg *registryConfig) s3(st *storageState) error {
	p := cfg.Params
	flags := map[string]bool{}
	for _, k := range s3Only {
		b, err := s3Bool(p, k, false)
		if err != nil {
			// 3.x refuses the configuration; 2.8, which does not read
			// the parameter, runs with it: so does regprune, as 2.8.
			cfg.note(fmt.Sprintf("%s: %v: ignored, as registry 2.8 ignores it (3.x would refuse it)", st.name(cfg.Driver+"."+k), err))
		}
		flags[k] = b
	}
	endpoint := !(p["regionendpoint"] == nil || p["regionendpoint"] == "")
	if endpoint && (p["region"] == nil || fmt.Sprint(p["region"]) == "") {
		p["region"] = "us-east-1"
		cfg.note("s3: no region next to regionendpoint (optional in 3.x): signing with us-east-1")
	}
	if flags["usedualstack"] || flags["usefipsendpoint"] {
		if endpoint {
			cfg.note("s3: usedualstack/usefipsendpoint ignored next to regionendpoint, as 3.x ignores them")
		} else {
			translated, err := cfg.s3Endpoint(flags["usedualstack"], flags["usefipsendpoint"])
			if err != nil {
				return err
			}
			endpoint = translated
		}
	}
	if flags["accelerate"] {
		cfg.note("s3: accelerate dropped: regprune reaches the bucket through its standard endpoint")
	}
	if _, set := p["forcepathstyle"]; set && endpoint != flags["forcepathstyle"] {
		style := "path-style at regionendpoint, as registry 2.8 always does there"
		if !endpoint {
			style = "virtual-hosted (2.8's driver has no path-style without regionendpoint)"
		}
		cfg.note("s3: forcepathstyle=" + strconv.FormatBool(flags["forcepathstyle"]) +
			": regprune addresses the same bucket " + style)
	}
	for _, k := range [][2]string{{"loglevel", "the SDK's log level"}, {"redirectendpoint", "where clients are redirected"}} {
		if _, set := p[k[0]]; set {
			cfg.note("s3: " + k[0] + " (3.x only: " + k[1] + ") not used by regprune")
		}
	}
	for _, k := range append(s3Only, "loglevel", "redirectendpoint") {
		delete(p, k)
	}
	cfg.s3StorageClass()
	cfg.s3Integers()
	return nil
}

// s3Endpoint sets regionendpoint to the dual-stack or FIPS endpoint of
// the region, which 3.x's SDK resolves for usedualstack/usefipsendpoint.
// What the 2.8 driver would refuse anyway (no region, an unknown one, a
// bad secure) is left to it.
func (cfg *registryConfig) s3Endpoint(dual, fips bool) (bool, error) {
	p := cfg.Params
	region := fmt.Sprint(p["region"])
	secure, err := s3Bool(p, "secure", true)
	if p["region"] == nil || !validRegion(region) || err != nil {
		return false, nil
	}
	if v4, err := s3Bool(p, "v4auth", true); err == nil && !v4 {
		return false, errors.New("storage.s3: on Amazon S3 this storage driver can only be used with v4 authentication (v4auth)")
	}
	e, err := endpoints.DefaultResolver().EndpointFor("s3", region, func(o *endpoints.Options) {
		o.DisableSSL = !secure
		if dual {
			o.UseDualStackEndpoint = endpoints.DualStackEndpointStateEnabled
		}
		if fips {
			o.UseFIPSEndpoint = endpoints.FIPSEndpointStateEnabled
		}
	})
	if err != nil {
		return false, fmt.Errorf("storage.s3: no dual-stack/FIPS endpoint for region %q: %w", region, err)
	}
	p["regionendpoint"] = e.URL
	cfg.note(fmt.Sprintf("s3: usedualstack=%t usefipsendpoint=%t: regprune reaches the bucket at %s, path-style", dual, fips, e.URL))
	return true, nil
}

// s3StorageClass drops a storage class only 3.x accepts.
func (cfg *registryConfig) s3StorageClass() {
	c, ok := cfg.Params["storageclass"].(string)
	if ok && !s3Classes2[strings.ToUpper(c)] && s3Classes3[strings.ToUpper(c)] {
		delete(cfg.Params, "storageclass")
		cfg.note("s3: storageclass " + c + " (3.x only) dropped: regprune's own files are written STANDARD")
	}
}

// s3Integers passes an integer parameter the 2.8 driver cannot read
// (3.x reads the number its text begins with: "10485760B") as that
// number, when in bounds. What 2.8 reads is left as it is.
func (cfg *registryConfig) s3Integers() {
	for k, bounds := range s3Ints {
		v, ok := cfg.Params[k]
		if !ok || v == nil || readsAsInt28(v) {
			continue
		}
		var n int64
		if _, err := fmt.Sscanf(fmt.Sprint(v), "%d", &n); err == nil && n >= bounds[0] && n <= bounds[1] {
			cfg.Params[k] = n
			cfg.note(fmt.Sprintf("s3: %s %v read as %d, as 3.x reads it", k, v, n))
		}
	}
}

// readsAsInt28: distribution 2.8's driver reads v as an integer (an int
// of YAML, or a string strconv.ParseInt takes in any base).
func readsAsInt28(v any) bool {
	switch v := v.(type) {
	case int, int64:
		return true
	case string:
		_, err := strconv.ParseInt(v, 0, 64)
		return err == nil
	}
	return false
}

func (cfg *registryConfig) note(s string) { cfg.Notes = append(cfg.Notes, s) }

// s3Bool reads a boolean parameter as both drivers do: a YAML boolean or
// a string strconv.ParseBool accepts.
func s3Bool(p map[string]any, k string, def bool) (bool, error) {
	switch v := p[k].(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	case string:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%q is not a boolean", v)
		}
		return b, nil
	default:
		return false, fmt.Errorf("%v is not a boolean", v)
	}
}

var (
	regionsOnce sync.Once
	regions     map[string]bool
)

// validRegion: region is one the drivers accept without regionendpoint
// (every region of the SDK's partitions).
func validRegion(region string) bool {
	regionsOnce.Do(func() {
		regions = map[string]bool{}
		for _, p := range endpoints.DefaultPartitions() {
			for r := range p.Regions() {
				regions[r] = true
			}
		}
	})
	return regions[region]
}
