package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"gopkg.in/yaml.v2"
)

// The registry's config.yml, read for what regprune needs of it: the
// storage driver, its parameters, and their REGISTRY_STORAGE* environment
// overrides. The rest of the file (log, http, auth, redis, notifications,
// proxy, validation, health, middleware, otel...) is ignored, whatever
// registry 2.8 or 3.x would make of it.
//
// The storage section is read as registry 2.8 and 3.x read it (their
// configuration package: Storage, Parser; both decode with yaml.v2, as
// here, so values get the same types):
//   - `storage` maps keys to parameter mappings (or is a bare driver name).
//     cache, delete, maintenance and redirect are settings, and so is tag
//     since 3.0 (2.8 took it for a second driver: "must provide exactly one
//     storage type"). Every other key is a driver, and there must be exactly
//     one.
//   - REGISTRY_STORAGE* variables apply in lexical order of their names:
//     REGISTRY_STORAGE replaces the whole section (a YAML value: "s3", or a
//     mapping); REGISTRY_STORAGE_<KEY> replaces one key's parameters;
//     REGISTRY_STORAGE_<KEY>_<PARAM>[_<SUB>...] sets one parameter, creating
//     the key when the section has none (matching an existing key case-
//     insensitively, setting it lower-case). Values are YAML.
//   - the settings are not judged: registry garbage-collect, the command
//     regprune stands in for, reads only the driver and its parameters.
//
// Parameters are then checked as the drivers check them (see
// config_driver.go).

// storageSettings are the keys of `storage` that are not drivers.
var storageSettings = map[string]bool{
	"cache": true, "delete": true, "maintenance": true, "redirect": true,
	"tag": true, // 3.x
}

// maxConfigSize bounds what is read of a config file.
const maxConfigSize = 1 << 20

// registryConfig is what regprune takes from a registry configuration.
type registryConfig struct {
	Driver string         // "filesystem", "s3" or "s3aws"
	Params map[string]any // for distribution 2.8's driver of that name
	// Notes say what regprune changed in Params and why (3.x parameters
	// the 2.8 driver does not read); Open logs them at debug level.
	Notes []string
}

// driverConfig is the storage driver and parameters of loc: the root it
// names, or its config file with the process environment's overrides.
func driverConfig(loc Location) (string, map[string]any, error) {
	if loc.Config == "" {
		abs, err := filepath.Abs(loc.Root)
		if err != nil {
			return "", nil, fmt.Errorf("%w: root %q: %w", ErrConfig, loc.Root, err)
		}
		return "filesystem", map[string]any{"rootdirectory": abs}, nil
	}
	cfg, err := readConfig(loc.Config, os.Environ())
	if err != nil {
		return "", nil, err
	}
	log := loc.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, n := range cfg.Notes {
		log.Debug("registry configuration: "+n, "config", loc.Config)
	}
	return cfg.Driver, cfg.Params, nil
}

// readConfig reads the configuration file at path with the REGISTRY_*
// variables of environ ("NAME=value" entries). The file must be a regular
// file (a FIFO or device is refused without blocking on it) of at most
// maxConfigSize bytes. Every error wraps ErrConfig and names the file.
func readConfig(path string, environ []string) (*registryConfig, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	cfg, err := parseConfig(data, environ)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, path, err)
	}
	return cfg, nil
}

func readConfigFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fi.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a registry configuration", path, maxConfigSize)
	}
	return data, nil
}

// parseConfig reads the configuration data with the REGISTRY_* variables
// of environ.
func parseConfig(data []byte, environ []string) (*registryConfig, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty")
	}
	var doc struct {
		Version string         `yaml:"version"`
		Storage storageSection `yaml:"storage"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a registry configuration: %w", err)
	}
	if doc.Version != "0.1" {
		return nil, fmt.Errorf(`version: %q, want "0.1" (the configuration version registry 2.8 and 3.x read)`, doc.Version)
	}
	st := &storageState{keys: doc.Storage, from: map[string]string{}}
	if err := st.applyEnv(environ); err != nil {
		return nil, err
	}
	driver, err := st.driver()
	if err != nil {
		return nil, err
	}
	return checkDriver(driver, st)
}

// storageSection is the registry's `storage` value: keys mapped to their
// parameters (nil when empty), or a bare driver name.
type storageSection map[string]map[string]any

// UnmarshalYAML decodes the section as the registry's Storage type does.
func (s *storageSection) UnmarshalYAML(unmarshal func(any) error) error {
	var m map[string]map[string]any
	err := unmarshal(&m)
	if err == nil {
		*s = m
		return nil
	}
	// yaml.v2 reuses the error's storage on the next unmarshal: keep its text.
	mapErr := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  ")
	var name string
	if unmarshal(&name) == nil {
		*s = storageSection{name: {}}
		return nil
	}
	return fmt.Errorf("storage: want a mapping of one driver to its parameters (and settings such as delete, tag), or a driver name: %s", mapErr)
}

// storageState is the storage section while the environment applies to
// it, with where each key and parameter was set.
type storageState struct {
	keys storageSection
	from map[string]string // "s3" or "s3.region" -> "storage.s3" or "$REGISTRY_STORAGE_S3_REGION"
}

// name names key (or "key.param") for messages: "storage.s3.region",
// and "(from $REGISTRY_STORAGE_S3_REGION)" when the environment set it.
func (st *storageState) name(key string) string {
	o, ok := st.from[key]
	for k := key; !ok; {
		var cut bool
		if k, _, cut = strings.Cut(k, "."); !cut {
			break
		}
		o, ok = st.from[k]
	}
	if strings.HasPrefix(o, "$") {
		return "storage." + key + " (from " + o + ")"
	}
	return "storage." + key
}

// driver is the one key of the section that is not a setting.
func (st *storageState) driver() (string, error) {
	var drivers []string
	for k := range st.keys {
		if !storageSettings[k] {
			drivers = append(drivers, k)
		}
	}
	sort.Strings(drivers)
	switch len(drivers) {
	case 0:
		return "", fmt.Errorf("storage: no storage driver (want one of %s, next to the settings cache, delete, maintenance, redirect, tag)", supportedList)
	case 1:
		return drivers[0], nil
	}
	named := make([]string, len(drivers))
	for i, d := range drivers {
		named[i] = st.name(d)
	}
	return "", fmt.Errorf("storage: more than one storage driver: %s; the registry, 2.8 and 3.x alike, "+
		"refuses this too (only cache, delete, maintenance, redirect and tag may stand next to the driver)",
		strings.Join(named, ", "))
}
