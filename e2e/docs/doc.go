// Package docs checks the documentation against the program: the
// generated reference, man page and completion scripts are what regprune
// docs writes (make docs), and every regprune command line in docs/,
// docs/examples and the README parses with the real commands and flags.
package docs
