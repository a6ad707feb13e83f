package storage

import (
	"reflect"
	"strings"
	"testing"

	"github.com/docker/distribution/configuration"
	"github.com/docker/distribution/registry/storage/driver/factory"
)

// TestConfigS3Translation: a 3.x s3 configuration becomes parameters
// distribution 2.8's driver accepts, reaching the same bucket and prefix.
func TestConfigS3Translation(t *testing.T) {
	t.Parallel()
	base := "version: 0.1\nstorage:\n  s3:\n    bucket: reg\n    rootdirectory: /prefix\n    accesskey: a\n    secretkey: s\n"
	cases := []struct {
		name  string
		extra string // more s3 parameters, at four spaces
		env   []string
		want  map[string]any // parameters besides bucket, rootdirectory, accesskey, secretkey
		notes []string       // a note holding each
		need  bool           // 2.8's driver refuses the parameters as written
	}{
		{"2.8 config unchanged", "    region: eu-west-1\n    secure: true\n    v4auth: true\n    chunksize: 10485760\n    storageclass: REDUCED_REDUNDANCY\n", nil,
			map[string]any{"region": "eu-west-1", "secure": true, "v4auth": true, "chunksize": 10485760, "storageclass": "REDUCED_REDUNDANCY"}, nil, false},
		{"region optional next to regionendpoint", "    regionendpoint: http://minio:9000\n    forcepathstyle: true\n", nil,
			map[string]any{"region": "us-east-1", "regionendpoint": "http://minio:9000"}, []string{"signing with us-east-1"}, true},
		{"virtual-hosted at an endpoint becomes path-style", "    region: us-east-1\n    regionendpoint: https://s3.example\n    forcepathstyle: false\n", nil,
			map[string]any{"region": "us-east-1", "regionendpoint": "https://s3.example"}, []string{"forcepathstyle=false", "path-style"}, false},
		{"dual-stack endpoint", "    region: eu-west-1\n    usedualstack: true\n", nil,
			map[string]any{"region": "eu-west-1", "regionendpoint": "https://s3.dualstack.eu-west-1.amazonaws.com"},
			[]string{"usedualstack=true", "https://s3.dualstack.eu-west-1.amazonaws.com"}, false},
		{"FIPS endpoint over http, from the environment", "    region: us-east-1\n    secure: false\n",
			[]string{"REGISTRY_STORAGE_S3_USEFIPSENDPOINT=true"},
			map[string]any{"region": "us-east-1", "secure": false, "regionendpoint": "http://s3-fips.us-east-1.amazonaws.com"},
			[]string{"usefipsendpoint=true"}, false},
		{"dual-stack ignored next to regionendpoint", "    region: us-east-1\n    regionendpoint: http://minio:9000\n    usedualstack: \"true\"\n", nil,
			map[string]any{"region": "us-east-1", "regionendpoint": "http://minio:9000"}, []string{"ignored next to regionendpoint"}, false},
		{"accelerate, loglevel, redirectendpoint dropped", "    region: us-east-1\n    accelerate: true\n    loglevel: debugwithhttpbody\n    redirectendpoint: https://cdn.example\n", nil,
			map[string]any{"region": "us-east-1"}, []string{"accelerate dropped", "loglevel", "redirectendpoint"}, false},
		{"3.x booleans that are none: ignored, as 2.8 does", "    region: us-east-1\n    forcepathstyle: maybe\n",
			[]string{"REGISTRY_STORAGE_S3_USEDUALSTACK=7"}, map[string]any{"region": "us-east-1"},
			[]string{`storage.s3.forcepathstyle: "maybe" is not a boolean: ignored`,
				"storage.s3.usedualstack (from $REGISTRY_STORAGE_S3_USEDUALSTACK): 7 is not a boolean: ignored"}, false},
		{"loglevel off (a YAML boolean)", "    region: us-east-1\n    loglevel: off\n", nil,
			map[string]any{"region": "us-east-1"}, []string{"loglevel"}, false},
		{"3.x storage class dropped", "    region: us-east-1\n    storageclass: intelligent_tiering\n", nil,
			map[string]any{"region": "us-east-1"}, []string{"storageclass intelligent_tiering"}, true},
		{"integers as 3.x reads them", "    region: us-east-1\n    chunksize: 10485760B\n    multipartcopymaxconcurrency: \"8\"\n    multipartcopythresholdsize: \"0x1000\"\n", nil,
			map[string]any{"region": "us-east-1", "chunksize": int64(10485760), "multipartcopymaxconcurrency": "8", "multipartcopythresholdsize": "0x1000"},
			[]string{"chunksize 10485760B read as 10485760"}, true},
	}
	for _, c := range cases {
		cfg, err := parse(base+c.extra, c.env...)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := map[string]any{"bucket": "reg", "rootdirectory": "/prefix", "accesskey": "a", "secretkey": "s"}
		for k, v := range c.want {
			want[k] = v
		}
		if !reflect.DeepEqual(cfg.Params, want) {
			t.Errorf("%s: parameters\n %#v\nwant\n %#v", c.name, cfg.Params, want)
		}
		notes := strings.Join(cfg.Notes, "\n")
		for _, n := range c.notes {
			if !strings.Contains(notes, n) {
				t.Errorf("%s: notes %q do not say %q", c.name, cfg.Notes, n)
			}
		}
		if len(c.notes) == 0 && len(cfg.Notes) > 0 {
			t.Errorf("%s: unexpected notes %q", c.name, cfg.Notes)
		}
		if _, err := factory.Create(cfg.Driver, cfg.Params); err != nil {
			t.Errorf("%s: distribution 2.8's driver refuses %#v: %v", c.name, cfg.Params, err)
		}
		if c.need {
			raw, err := configuration.Parse(strings.NewReader(base + c.extra))
			if err != nil {
				t.Fatalf("%s: 2.8's parser: %v", c.name, err)
			}
			if _, err := factory.Create("s3", raw.Storage.Parameters()); err == nil {
				t.Errorf("%s: 2.8's driver takes the parameters as written: nothing to translate", c.name)
			}
		}
	}
}

// TestConfigS3Refused: what both drivers refuse is still refused, by
// regprune or by the 2.8 driver behind it.
func TestConfigS3Refused(t *testing.T) {
	t.Parallel()
	for name, extra := range map[string]string{
		"no bucket":          "    region: us-east-1\n    bucket: \"\"\n",
		"no region on AWS":   "    usedualstack: true\n",
		"unknown region":     "    region: mars-1\n    usefipsendpoint: true\n",
		"secure not boolean": "    region: us-east-1\n    secure: sometimes\n",
		"unknown class":      "    region: us-east-1\n    storageclass: DEEP_ARCHIVE\n",
		"chunk too small":    "    region: us-east-1\n    chunksize: 1024\n",
		"bad object ACL":     "    region: us-east-1\n    objectacl: everyone\n",
	} {
		cfg, err := parse("version: 0.1\nstorage:\n  s3:\n    bucket: reg\n" + extra)
		if err == nil {
			_, err = factory.Create(cfg.Driver, cfg.Params)
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
