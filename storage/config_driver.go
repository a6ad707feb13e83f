package storage

import (
	"fmt"
	"path/filepath"
)

// The storage drivers regprune opens, through distribution 2.8's drivers
// of the same names. registry 3.x still registers the s3 driver under
// both names.
const supportedList = "filesystem, s3 (or s3aws)"

// otherDrivers are drivers of registry 2.8 or 3.x that regprune does not
// open.
var otherDrivers = map[string]bool{
	"azure": true, "gcs": true, "inmemory": true, "oss": true, "swift": true,
}

// checkDriver checks the parameters of driver as the registry's driver
// would, and makes them fit distribution 2.8's driver of that name.
func checkDriver(driver string, st *storageState) (*registryConfig, error) {
	params := map[string]any{}
	for k, v := range st.keys[driver] {
		params[k] = v
	}
	cfg := &registryConfig{Driver: driver, Params: params}
	var err error
	switch driver {
	case "filesystem":
		err = cfg.filesystem(st)
	case "s3", "s3aws":
		err = cfg.s3(st)
	default:
		if otherDrivers[driver] {
			return nil, fmt.Errorf("%s: the %q storage driver: regprune opens %s storage only",
				st.name(driver), driver, supportedList)
		}
		return nil, fmt.Errorf("%s: %q is neither a storage driver of registry 2.8 or 3.x "+
			"nor one of its settings (cache, delete, maintenance, redirect, tag); regprune opens %s storage",
			st.name(driver), driver, supportedList)
	}
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// filesystem checks the root directory: the driver takes any value as a
// string (fmt.Sprint: an empty value becomes "<nil>", a relative one is
// resolved against the registry's working directory, which regprune does
// not know), so regprune wants an absolute path, or none (the driver's
// default). maxthreads is checked by the driver, alike in 2.8 and 3.x.
func (cfg *registryConfig) filesystem(st *storageState) error {
	v, ok := cfg.Params["rootdirectory"]
	if !ok {
		cfg.Params["rootdirectory"] = DefaultRoot
		return nil
	}
	root := fmt.Sprint(v)
	var why string
	switch {
	case v == nil:
		why = `is empty (the registry would take it as a directory named "<nil>")`
	case root == "":
		why = `is empty (the registry would take it as "/")`
	case !filepath.IsAbs(root):
		why = fmt.Sprintf("%q is relative: the registry resolves it against its own working directory", root)
	}
	if why != "" {
		return fmt.Errorf("%s %s; give an absolute path (or --root)", st.name("filesystem.rootdirectory"), why)
	}
	cfg.Params["rootdirectory"] = filepath.Clean(root)
	return nil
}
