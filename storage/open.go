package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/distribution/configuration"
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
func Open(ctx context.Context, loc Location) (*Storage, error) {
	typ, params, err := driverConfig(loc)
	if err != nil {
		return nil, err
	}
	s := &Storage{Type: typ, Location: loc}
	var d driver.StorageDriver
	if typ == "filesystem" {
		if s.LocalRoot = fsRoot(params); s.LocalRoot == "" {
			return nil, fmt.Errorf("%w: the filesystem driver's rootdirectory is empty", ErrConfig)
		}
		if s.local, err = newLocal(s.LocalRoot); err != nil { // see local.go
			return nil, fmt.Errorf("%w: %s: %w", ErrNotRegistry, s.Describe(), err)
		}
		d = s.local
	} else {
		if d, err = factory.Create(typ, params); err != nil {
			return nil, fmt.Errorf("%w: storage driver %q: %w", ErrConfig, typ, err)
		}
	}
	if typ == "s3" || typ == "s3aws" {
		if s.objects, err = newObjects(params); err != nil {
			return nil, fmt.Errorf("%w: storage driver %q: %w", ErrConfig, typ, err)
		}
		d = &s3Driver{StorageDriver: d, objects: s.objects} // see s3driver.go
	}
	d = wrapDriverForTest(ctx, d)
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

func driverConfig(loc Location) (string, map[string]interface{}, error) {
	if loc.Config == "" {
		abs, err := filepath.Abs(loc.Root)
		if err != nil {
			return "", nil, fmt.Errorf("%w: root %q: %w", ErrConfig, loc.Root, err)
		}
		return "filesystem", map[string]interface{}{"rootdirectory": abs}, nil
	}
	f, err := os.Open(loc.Config)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer f.Close()
	cfg, err := parseConfig(f)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %s: %w", ErrConfig, loc.Config, err)
	}
	typ, err := storageType(cfg.Storage)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %s: %w", ErrConfig, loc.Config, err)
	}
	params := map[string]interface{}{}
	for k, v := range cfg.Storage.Parameters() {
		params[k] = v
	}
	if typ == "filesystem" {
		if _, ok := params["rootdirectory"]; !ok {
			params["rootdirectory"] = DefaultRoot // the filesystem driver's own default
		}
	}
	return typ, params, nil
}

// storageType is configuration.Storage.Type without its panic on more than
// one driver.
func storageType(st configuration.Storage) (typ string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	typ = st.Type()
	if typ == "" {
		return "", errors.New("no storage driver configured")
	}
	return typ, nil
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
