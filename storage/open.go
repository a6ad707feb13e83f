package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/factory"
	"github.com/docker/distribution/registry/storage/driver/filesystem"
	_ "github.com/docker/distribution/registry/storage/driver/s3-aws" // registers "s3" and "s3aws"
)

// Defaults used when neither --root nor --config is given, as in the stock
// registry images: registry:2 keeps its config at DefaultConfigPath,
// registry:3 at DefaultConfigPathV3; both keep their data at DefaultRoot.
const (
	DefaultConfigPath   = "/etc/docker/registry/config.yml"
	DefaultConfigPathV3 = "/etc/distribution/config.yml"
	DefaultRoot         = "/var/lib/registry"
	RootEnv             = "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"
)

// DefaultConfigPaths are the stock images' config files, registry:2's
// first, the ones LocateFlags looks for.
var DefaultConfigPaths = []string{DefaultConfigPath, DefaultConfigPathV3}

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

// Locate applies the search order: --root, --config, $RootEnv, the
// default config file of registry:2 or of registry:3 when one exists (both:
// a usage error, which one is meant is unknown), the default root. getenv and exists are
// injected so the order is testable without touching the machine. An
// empty value counts as not given: LocateFlags tells them apart.
func Locate(root, config string, getenv func(string) string, exists func(string) bool) (Location, error) {
	lookup := func(k string) (string, bool) { v := getenv(k); return v, v != "" }
	return LocateFlags(Flag{root, root != ""}, Flag{config, config != ""}, lookup, exists)
}

// Flag is a path option as the command line gave it: Set when it was
// given (on the command line or by its environment variable), even empty.
type Flag struct {
	Value string
	Set   bool
}

// LocateFlags is Locate for options that say whether they were given: an
// empty value given explicitly (--root "$UNSET", or $RootEnv set but
// empty) is ErrUsage naming it, never a reason to look elsewhere.
// lookupenv is os.LookupEnv or a stand-in.
func LocateFlags(root, config Flag, lookupenv func(string) (string, bool), exists func(string) bool) (Location, error) {
	switch {
	case root.Set && root.Value == "":
		return Location{}, fmt.Errorf("%w: --root is empty (an unset variable?): give the registry's root directory", ErrUsage)
	case config.Set && config.Value == "":
		return Location{}, fmt.Errorf("%w: --config is empty (an unset variable?): give the registry's config.yml", ErrUsage)
	case root.Set && config.Set:
		return Location{}, fmt.Errorf("%w: give --root or --config, not both", ErrUsage)
	case root.Set:
		return Location{Root: root.Value, How: "--root"}, nil
	case config.Set:
		return Location{Config: config.Value, How: "--config"}, nil
	}
	if v, ok := lookupenv(RootEnv); ok {
		if v == "" {
			return Location{}, fmt.Errorf("%w: $%s is set but empty: unset it or give the registry's root directory", ErrUsage, RootEnv)
		}
		return Location{Root: v, How: "$" + RootEnv}, nil
	}
	var found []string
	for _, p := range DefaultConfigPaths {
		if exists(p) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
	case 1:
		return Location{Config: found[0], How: "default config " + found[0]}, nil
	default:
		return Location{}, fmt.Errorf("%w: both %s (registry:2) and %s (registry:3) exist: give --config FILE "+
			"(or --root DIR) to say which registry's storage", ErrUsage, found[0], found[1])
	}
	return Location{Root: DefaultRoot, How: "default root " + DefaultRoot}, nil
}

// Open opens the storage at loc through distribution's driver factory and
// refuses a storage without docker/registry/v2/repositories. It writes
// nothing.
func Open(ctx context.Context, loc Location, opts ...OpenOption) (*Storage, error) {
	typ, params, err := driverConfig(loc)
	if err != nil {
		return nil, err
	}
	s := &Storage{Type: typ, Location: loc}
	var d driver.StorageDriver
	if typ == "filesystem" {
		// The registry refuses parameters its driver cannot read
		// (maxthreads: many); so does regprune, though it uses its own
		// driver. FromParameters only reads them.
		if _, err := filesystem.FromParameters(params); err != nil {
			return nil, fmt.Errorf("%w: storage driver %q: %w", ErrConfig, typ, err)
		}
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
