package storage

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v2"
)

// storageEnv is the prefix of the variables that override the storage
// section (the registry maps REGISTRY_<FIELD>_<KEY>... onto its
// configuration, matching field names upper-case).
const storageEnv = "REGISTRY_STORAGE"

type envVar struct{ name, value string }

// storageVars are the entries of environ that reach the storage section,
// sorted by name as the registry applies them (REGISTRY_STORAGE before
// REGISTRY_STORAGE_S3 before REGISTRY_STORAGE_S3_REGION).
func storageVars(environ []string) []envVar {
	var vars []envVar
	for _, e := range environ {
		name, value, _ := strings.Cut(e, "=")
		if name == storageEnv || strings.HasPrefix(name, storageEnv+"_") {
			vars = append(vars, envVar{name, value})
		}
	}
	sort.SliceStable(vars, func(i, j int) bool { return vars[i].name < vars[j].name })
	return vars
}

// applyEnv applies the storage variables of environ to the section.
func (st *storageState) applyEnv(environ []string) error {
	for _, v := range storageVars(environ) {
		if err := st.apply(v); err != nil {
			return fmt.Errorf("environment variable %s: %w", v.name, err)
		}
	}
	return nil
}

func (st *storageState) apply(v envVar) error {
	origin := "$" + v.name
	if v.name == storageEnv {
		// The whole section: its keys are all set by this variable now.
		var s storageSection
		if err := yaml.Unmarshal([]byte(v.value), &s); err != nil {
			return err
		}
		st.keys, st.from = s, map[string]string{}
		for k := range s {
			st.from[k] = origin
		}
		return nil
	}
	path := strings.Split(strings.TrimPrefix(v.name, storageEnv+"_"), "_")
	if st.keys == nil {
		st.keys = storageSection{}
	}
	if len(path) == 1 {
		// One key's parameters, replaced whole.
		params := map[string]any{}
		if err := yaml.Unmarshal([]byte(v.value), &params); err != nil {
			return err
		}
		key := strings.ToLower(path[0])
		st.keys[key] = params
		st.setFrom(key, origin)
		return nil
	}
	key, params := st.match(path[0])
	if params == nil {
		// No such key, or an empty one: made anew, lower-case.
		key, params = strings.ToLower(path[0]), map[string]any{}
		st.keys[key] = params
		st.setFrom(key, origin)
	}
	set, err := setParam(params, path[1:], v.value)
	if set != "" {
		st.from[key+"."+set] = origin
	}
	return err
}

// setFrom records that key, and everything in it, was set by origin.
func (st *storageState) setFrom(key, origin string) {
	for k := range st.from {
		if strings.HasPrefix(k, key+".") {
			delete(st.from, k)
		}
	}
	st.from[key] = origin
}

// match finds the key named upper (case-insensitively) with parameters.
// Of two such keys (they differ in case: two drivers, refused later), the
// first in sort order.
func (st *storageState) match(upper string) (string, map[string]any) {
	keys := make([]string, 0, len(st.keys))
	for k := range st.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.ToUpper(k) == upper && st.keys[k] != nil {
			return k, st.keys[k]
		}
	}
	return "", nil
}

// setParam sets the parameter at path (upper-case names) below params to
// the YAML value, as the registry does: a missing or empty level is made
// anew as a mapping; a level that holds anything else than a mapping the
// registry made (a scalar, or a mapping from the file, which has no
// string keys for it) is left alone, and so is the variable. It returns
// the name of the top parameter it set ("" when none).
func setParam(params map[string]any, path []string, value string) (string, error) {
	name := strings.ToLower(path[0])
	if len(path) == 1 {
		var v any
		if err := yaml.Unmarshal([]byte(value), &v); err != nil {
			return "", err
		}
		params[name] = v
		return name, nil
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.ToUpper(k) != path[0] || params[k] == nil {
			continue
		}
		if m, ok := params[k].(map[string]any); ok {
			_, err := setParam(m, path[1:], value)
			return k, err
		}
		return "", nil
	}
	m := map[string]any{}
	if _, err := setParam(m, path[1:], value); err != nil {
		return "", err
	}
	params[name] = m
	return name, nil
}
