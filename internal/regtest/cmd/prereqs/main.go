// Command prereqs says, one line each, which optional parts of the test
// suite are missing and will skip: the S3 tests without MinIO, the tests
// against a real `registry serve` without its binary. go test shows no
// output of a passing package, so `make test` runs this first. It looks
// where the tests look (minio.Binary, regtest.RegistryBinary) and always
// exits 0.
package main

import (
	"fmt"
	"os"

	"github.com/regprune/regprune/internal/minio"
	"github.com/regprune/regprune/internal/regtest"
)

func main() {
	if _, err := minio.Binary(); err != nil {
		fmt.Fprintln(os.Stderr, "make test: MinIO not found: the S3 tests will skip (scripts/install-minio.sh installs it)")
	}
	if _, err := regtest.RegistryBinary(); err != nil {
		fmt.Fprintf(os.Stderr, "make test: registry %s not found: the tests against `registry serve` will skip "+
			"(scripts/install-registry.sh installs it)\n", regtest.RegistryVersion)
	}
}
