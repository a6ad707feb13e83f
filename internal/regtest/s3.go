package regtest

import (
	"testing"

	"github.com/docker/distribution/configuration"
	_ "github.com/docker/distribution/registry/storage/driver/s3-aws" // registers the s3 driver
)

// StartS3 serves a registry whose storage is distribution's s3 driver with
// params (accesskey, secretkey, region, regionendpoint, bucket, ...; see
// internal/minio's Server.Params) until the test ends. Its Root is "":
// there is no disk tree, so the disk helpers do not apply; tests damage
// the storage through the storage driver instead.
func StartS3(t testing.TB, params map[string]interface{}) *Registry {
	t.Helper()
	return serve(t, "s3", configuration.Parameters(params))
}
