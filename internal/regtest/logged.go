package regtest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docker/distribution/configuration"
	dcontext "github.com/docker/distribution/context"
	"github.com/docker/distribution/registry/handlers"
	gorhandlers "github.com/gorilla/handlers"
	"github.com/sirupsen/logrus"
)

// LogOptions shape what an in-process registry (StartLogged, StartS3Logged)
// writes, as `registry serve` v2.8 would with the same configuration: its
// request log lines at level info (logrus text, or JSON with
// log.formatter json, both with RFC 3339 nanosecond times), the combined
// access log (gorilla's CombinedLoggingHandler, unless
// log.accesslog.disabled), and notifications to an in-test endpoint.
type LogOptions struct {
	JSON      bool // log.formatter: json
	AccessLog bool // log.accesslog.disabled: false
	Notify    bool // notifications.endpoints: one, to Logged.Events
}

// Logged is an in-process 2.8 registry whose own log output and
// notifications are kept.
type Logged struct {
	*Registry
	Log    *Output // its request log and access log, in the order written
	Events *Events // what it notified; nil without Notify
}

// StartLogged serves a 2.8 registry on the filesystem root, logging as
// opts say, until the test ends.
func StartLogged(t testing.TB, root string, opts LogOptions) *Logged {
	t.Helper()
	l := serveLogged(t, "filesystem", configuration.Parameters{"rootdirectory": root}, opts)
	l.Root = root
	return l
}

// StartS3Logged is StartLogged on distribution's s3 driver (see StartS3).
func StartS3Logged(t testing.TB, params map[string]interface{}, opts LogOptions) *Logged {
	t.Helper()
	return serveLogged(t, "s3", configuration.Parameters(params), opts)
}

// serveLogged is serve with the logging of opts. The registry's logger is
// its own logrus logger, given to the app through its context as
// registry serve does after configuring logrus: the request log lines of
// this registry go to Log alone, whatever runs beside it.
func serveLogged(t testing.TB, typ string, params configuration.Parameters, opts LogOptions) *Logged {
	t.Helper()
	l := &Logged{Log: &Output{}}
	cfg := registryConfig(typ, params)
	cfg.Log.Level = "info"
	cfg.Log.AccessLog.Disabled = !opts.AccessLog
	if opts.Notify {
		l.Events = newEvents(t)
		cfg.Notifications.Endpoints = []configuration.Endpoint{{
			Name: "regtest", URL: l.Events.URL, Timeout: 2 * time.Second, Threshold: 5, Backoff: 100 * time.Millisecond,
		}}
	}
	logger := logrus.New()
	logger.SetOutput(l.Log)
	logger.SetLevel(logrus.InfoLevel)
	if opts.JSON {
		logger.SetFormatter(&logrus.JSONFormatter{TimestampFormat: time.RFC3339Nano})
	} else {
		logger.SetFormatter(&logrus.TextFormatter{TimestampFormat: time.RFC3339Nano})
	}
	ctx := dcontext.WithLogger(context.Background(), logrus.NewEntry(logger))
	var h http.Handler = handlers.NewApp(ctx, cfg)
	if opts.AccessLog {
		h = gorhandlers.CombinedLoggingHandler(l.Log, h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	srv.Start()
	t.Cleanup(srv.Close)
	l.Registry = &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), server: srv}
	return l
}
