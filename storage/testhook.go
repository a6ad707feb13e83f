package storage

import (
	"context"

	"github.com/docker/distribution/registry/storage/driver"
)

// DriverWrapper wraps the storage driver Open creates.
type DriverWrapper func(driver.StorageDriver) driver.StorageDriver

type driverWrapperKey struct{}

// WithDriverWrapper is a TEST HOOK: Open, given a context carrying w, wraps
// the driver it creates with w (the fault-injection tests use it to count
// and fail driver calls of a command run in-process). It is carried by the
// context rather than a global so that parallel tests do not share it.
// Production code never sets it.
func WithDriverWrapper(ctx context.Context, w DriverWrapper) context.Context {
	return context.WithValue(ctx, driverWrapperKey{}, w)
}

// wrapDriverForTest applies the test hook of ctx, if any, to d.
func wrapDriverForTest(ctx context.Context, d driver.StorageDriver) driver.StorageDriver {
	if w, ok := ctx.Value(driverWrapperKey{}).(DriverWrapper); ok && w != nil {
		return w(d)
	}
	return d
}
