package storage

import "github.com/docker/distribution/registry/storage/driver"

// OpenOption changes how Open builds the storage.
type OpenOption func(*openOptions)

type openOptions struct {
	wrap []func(driver.StorageDriver) driver.StorageDriver
}

// WithDriverWrapper makes Open put wrap around the storage driver it
// creates, before the driver's first call, so that every access of the
// opened storage goes through wrap (the end-to-end tests count and fail
// driver calls with it). Given more than once, the last wrapper is the
// outermost.
func WithDriverWrapper(wrap func(driver.StorageDriver) driver.StorageDriver) OpenOption {
	return func(o *openOptions) { o.wrap = append(o.wrap, wrap) }
}

// wrapOpened applies the wrappers of opts to d.
func wrapOpened(d driver.StorageDriver, opts []OpenOption) driver.StorageDriver {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	for _, w := range o.wrap {
		d = w(d)
	}
	return d
}
