package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/factory"
	_ "github.com/docker/distribution/registry/storage/driver/filesystem" // registers "filesystem"
	_ "github.com/docker/distribution/registry/storage/driver/s3-aws"     // registers "s3" and "s3aws"
)

// Defaults used when neither --root nor --config is given, as in the stock
// registry image.
const (
	DefaultConfigPath = "/etc/docker/registry/config.yml"
	DefaultRoot       = "/var/lib/registry"
	RootEnv           = "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"
)

// Location says where the storage is and how it was found.
type Location struct {
	Root   string // filesystem root, when given or found directly
	Config string // registry config.yml, when the storage comes from it
	How    string // "--root", "--config", "$" + RootEnv, "default config", "default root"
	// Log, when set, gets at debug level what Open changed in the
	// config's driver parameters to open a registry 3.x configuration
	// with distribution 2.8's driver (see config_s3.go).
	Log *slog.Logger
}

// Locate applies the search order: --root, --config, $RootEnv, the default
// config file when it exists, the default root. getenv and exists are
// injected so the order is testable without touching the machine.
func Locate(root, config string, getenv func(string) string, exists func(string) bool) (Location, error) {
	switch {
	case root != "" && config != "":
		return Location{}, fmt.Errorf("%w: give --root or --config, not both", ErrUsage)
	case root != "":
		return Location{Root: root, How: "--root"}, nil
	case config != "":
		return Location{Config: config, How: "--config"}, nil
	case getenv(RootEnv) != "":
		return Location{Root: getenv(RootEnv), How: "$" + RootEnv}, nil
	case exists(DefaultConfigPath):
		return Location{Config: DefaultConfigPath, How: "default config " + DefaultConfigPath}, nil
	default:
		return Location{Root: DefaultRoot, How: "default root " + DefaultRoot}, nil
	}
}

// Open opens the storage at loc through distribution's driver factory and
// refuses a storage without docker/registry/v2/repositories. It writes
// nothing.
func Open(ctx context.Context, loc Location, opts ...OpenOption) (*Storage, error) {
	typ, params, err := driverConfig(loc)
	if err != nil {
		return nil, err
	}
	d, err := factory.Create(typ, params)
	if err != nil {
		return nil, fmt.Errorf("%w: storage driver %q: %w", ErrConfig, typ, err)
	}
	s := &Storage{Type: typ, Location: loc}
	if typ == "s3" || typ == "s3aws" {
		d = prefixSafeDelete{d}
		if s.objects, err = newObjects(params); err != nil {
			return nil, fmt.Errorf("%w: storage driver %q: %w", ErrConfig, typ, err)
		}
	}
	if typ == "filesystem" {
		s.LocalRoot = fsRoot(params)
		d = untraced(d, s.LocalRoot) // see untraced.go
	}
	d = wrapOpened(d, opts)
	s.Driver = d
	fi, err := d.Stat(ctx, RepositoriesPath())
	if err != nil || !fi.IsDir() {
		if err != nil && !isNotFound(err) {
			return nil, fmt.Errorf("%w: %s: %w", ErrNotRegistry, s.Describe(), err)
		}
		return nil, fmt.Errorf("%w: %s has no %s (is it the registry's rootdirectory?)",
			ErrNotRegistry, s.Describe(), RepositoriesPath()[1:])
	}
	return s, nil
}

func fsRoot(params map[string]interface{}) string {
	if s, ok := params["rootdirectory"].(string); ok {
		return s
	}
	return DefaultRoot
}

func isNotFound(err error) bool {
	var nf driver.PathNotFoundError
	return errors.As(err, &nf)
}
