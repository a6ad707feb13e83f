package cli

import (
	"errors"
	"fmt"

	"github.com/regprune/regprune/storage"
)

// notFoundHint adds to a storage that is no registry's how to name the
// right one, when regprune found it by itself (defaults, environment).
func notFoundHint(loc storage.Location, err error) error {
	if !errors.Is(err, storage.ErrNotRegistry) || loc.How == "--root" || loc.How == "--config" {
		return err
	}
	return fmt.Errorf("%w; neither --root nor --config was given: give --root DIR (the directory holding "+
		"docker/registry/v2) or --config FILE (the registry's config.yml)", err)
}
