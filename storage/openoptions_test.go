package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/distribution/registry/storage/driver"
)

type countingDriver struct {
	driver.StorageDriver
	stats int
}

func (c *countingDriver) Stat(ctx context.Context, p string) (driver.FileInfo, error) {
	c.stats++
	return c.StorageDriver.Stat(ctx, p)
}

func TestWithDriverWrapperWrapsTheOpenedDriver(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docker", "registry", "v2", "repositories"), 0o755); err != nil {
		t.Fatal(err)
	}
	var wrapped *countingDriver
	st, err := Open(context.Background(), Location{Root: root}, WithDriverWrapper(func(d driver.StorageDriver) driver.StorageDriver {
		wrapped = &countingDriver{StorageDriver: d}
		return wrapped
	}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Driver != wrapped || wrapped.stats != 1 {
		t.Fatalf("driver %T not the wrapper, or Open's Stat not seen (%v)", st.Driver, wrapped)
	}
	plain, err := Open(context.Background(), Location{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plain.Driver.(*countingDriver); ok {
		t.Fatal("Open without the option wrapped the driver")
	}
	var inner *countingDriver
	twice, err := Open(context.Background(), Location{Root: root},
		WithDriverWrapper(func(d driver.StorageDriver) driver.StorageDriver {
			inner = &countingDriver{StorageDriver: d}
			return inner
		}),
		WithDriverWrapper(func(d driver.StorageDriver) driver.StorageDriver { return &countingDriver{StorageDriver: d} }))
	if err != nil {
		t.Fatal(err)
	}
	if outer, ok := twice.Driver.(*countingDriver); !ok || outer.StorageDriver != inner || inner == nil {
		t.Fatalf("two wrappers: %T around %T, want the last outermost", twice.Driver, inner)
	}
}
