package storage

import (
	"fmt"
	"io"

	"github.com/docker/distribution/configuration"
)

// parseConfig is configuration.Parse without its panic: the parser panics
// when the file and the REGISTRY_* environment name two storage drivers
// (REGISTRY_STORAGE=s3 with REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY set,
// say), which the registry reports as a fatal error too.
func parseConfig(r io.Reader) (cfg *configuration.Configuration, err error) {
	defer func() {
		if p := recover(); p != nil {
			cfg, err = nil, fmt.Errorf("%v", p)
		}
	}()
	return configuration.Parse(r)
}
