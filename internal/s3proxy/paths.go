package s3proxy

import "strings"

// Pattern is the request's place in a registry's storage, with names and
// digests replaced by placeholders, so that requests of one purpose count
// together: "LIST repositories/<repo>/_manifests/tags/ (all)",
// "GET repositories/<repo>/_manifests/tags/<tag>/current/link",
// "LIST blobs/sha256/<xx>/ (dir)". (dir) is a listing of one directory
// level (with a delimiter), (all) of everything beneath the prefix.
func (r Request) Pattern() string {
	switch r.Kind {
	case List:
		how := " (all)"
		if r.Delimited {
			how = " (dir)"
		}
		return "LIST " + storagePattern(r.Prefix) + how
	case Get, Head, Put, Delete:
		return string(r.Kind) + " " + storagePattern(r.Key)
	}
	return string(r.Kind) + " " + r.Op
}

// storagePattern is key (or prefix) relative to docker/registry/v2/, with
// repository names as <repo>, tags as <tag>, upload ids as <id>, digests
// as <hex> and blob prefix directories as <xx>. A key outside
// docker/registry/v2/ is <other>.
func storagePattern(key string) string {
	const v2 = "docker/registry/v2/"
	i := strings.Index(key, v2)
	switch {
	case key == "":
		return "(bucket)"
	case strings.HasPrefix(v2, key):
		return "(" + key + ")" // a prefix on the way: docker/, docker/registry/
	case i < 0 || (i > 0 && key[i-1] != '/'):
		return "<other>"
	case len(key) == i+len(v2):
		return "(" + v2 + ")"
	}
	parts := strings.Split(key[i+len(v2):], "/")
	if parts[0] == "repositories" && len(parts) > 1 {
		parts = repositoryParts(parts)
	}
	for j, p := range parts {
		switch {
		case p == "":
		case isHex(p, 64):
			parts[j] = "<hex>"
		case j == 2 && parts[0] == "blobs" && isHex(p, 2):
			parts[j] = "<xx>"
		case j > 0 && parts[j-1] == "_uploads":
			parts[j] = "<id>"
		case j > 1 && parts[j-1] == "tags" && parts[j-2] == "_manifests":
			parts[j] = "<tag>"
		}
	}
	return strings.Join(parts, "/")
}

// repositoryParts collapses the repository name of repositories/<name...>/
// (every component before the first beginning with _) into <repo>. A
// prefix within the names ("repositories/team/") stays as it is.
func repositoryParts(parts []string) []string {
	for j := 1; j < len(parts); j++ {
		if strings.HasPrefix(parts[j], "_") {
			return append([]string{"repositories", "<repo>"}, parts[j:]...)
		}
	}
	if len(parts) > 2 || parts[1] != "" {
		return []string{"repositories", "<names>", ""}
	}
	return parts
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
