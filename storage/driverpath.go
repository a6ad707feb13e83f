package storage

// validPath accepts what storagedriver.PathRegexp accepts:
// ^(/[A-Za-z0-9._-]+)+$.
func validPath(p string) bool {
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			if p[i-1] == '/' {
				return false
			}
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// hasDotComponent reports whether p has a "." or ".." component.
func hasDotComponent(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '.' || (i > 0 && p[i-1] != '/') {
			continue
		}
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}

// safeDriverPath reports whether regprune may hand p to a driver: a valid
// driver path without "." or ".." components (distribution's filesystem
// driver would clean those, and the S3 SDK cleans them out of the request
// URL: "/a/../../b" would reach a key outside the root).
func safeDriverPath(p string) bool { return validPath(p) && !hasDotComponent(p) }
