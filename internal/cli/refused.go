package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/regprune/regprune/gc"
	"github.com/regprune/regprune/storage"
)

// refusedJSON is the --json document of a gc or prune that refused to
// sweep (docs/safety.md): the message, and every culprit with its fix.
type refusedJSON struct {
	Error    string       `json:"error"`
	Refused  bool         `json:"refused"`
	Refusals []gc.Refusal `json:"refusals"`
}

// printRefusal prints, with --json, the document of a refusal err (a
// *gc.RefusalError) on stdout; the message goes to stderr as every
// error's does. It returns err.
func printRefusal(e *env, err error) error {
	rs := gc.Refusals(err)
	if !e.json || rs == nil {
		return err
	}
	if perr := e.printJSON(refusedJSON{Error: err.Error(), Refused: true, Refusals: rs}); perr != nil {
		return errors.Join(err, perr)
	}
	return err
}

// strayFor is the stray entry of the repositories directory a repository
// pattern names, when it names no repository: a symbolic link to a
// repository, a file, a directory outside the grammar. Commands say what
// it is rather than "no repository" (and never act through it).
func strayFor(cat *storage.Catalog, patterns ...string) (storage.Stray, bool) {
	for _, s := range cat.Stray {
		name := strings.TrimPrefix(s.Path, storage.RepositoriesPath()+"/")
		if matchesAny(patterns, name) {
			return s, true
		}
	}
	return storage.Stray{}, false
}

// strayError says why stray s is not a repository regprune acts on.
func strayError(s storage.Stray) error {
	if s.Opaque() || s.Kind == storage.KindSpecial {
		return fmt.Errorf("not a repository regprune acts on: %w", storage.Anomaly(s.Path, s.Kind))
	}
	return fmt.Errorf("%w: not a repository regprune acts on: %s", storage.ErrNoMatch, s)
}

// catalog lists the repositories and stray entries (storage.Catalog).
func catalog(ctx context.Context, st *storage.Storage, jobs int) (*storage.Catalog, error) {
	cat, err := st.Catalog(ctx, jobs)
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	return cat, nil
}

// warnStray says on stderr, the same way in every command that lists
// the repositories for the operator, what a stray entry of the
// repositories directory is and what regprune does with it.
func (e *env) warnStray(s storage.Stray) {
	what := "left alone"
	switch {
	case s.Opaque():
		what = "not followed: gc and prune refuse to sweep while it is there (docs/safety.md)"
	case s.Data:
		what = "kept whole by gc with everything it references; the registry cannot serve it"
	}
	fmt.Fprintf(e.stderr, "regprune: warning: %s: not a repository; %s\n", s, what)
}
