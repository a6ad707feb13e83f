// Package regtest serves a real distribution registry in-process for tests
// and pushes real images into it with go-containerregistry.
package regtest

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/docker/distribution/configuration"
	"github.com/docker/distribution/registry/handlers"
	_ "github.com/docker/distribution/registry/storage/driver/filesystem" // registers the filesystem driver
	"github.com/sirupsen/logrus"
)

// Registry is a distribution registry serving a filesystem root over HTTP.
type Registry struct {
	Root   string // the registry's rootdirectory
	Host   string // host:port to use in references
	server *httptest.Server
}

// Start serves a registry on root until the test ends.
func Start(t testing.TB, root string) *Registry {
	t.Helper()
	logrus.SetOutput(io.Discard)
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"filesystem": configuration.Parameters{"rootdirectory": root},
			"delete":     configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{
				"uploadpurging": map[interface{}]interface{}{"enabled": false},
			},
		},
	}
	cfg.Log.Level = "error"
	cfg.Log.AccessLog.Disabled = true
	app := handlers.NewApp(context.Background(), cfg)
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &Registry{Root: root, Host: strings.TrimPrefix(srv.URL, "http://"), server: srv}
}
