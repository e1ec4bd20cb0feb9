package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"

	"hybridgen/internal/mirror"
	"hybridgen/internal/server"
	"hybridgen/internal/webapp"
)

// serveOptions are the flags of `hybridgen serve`.
type serveOptions struct {
	addr      string
	webDir    string
	isolation bool
	logFormat string
	// modelsDir, when set, is served read-only under /models/ (the model mirror).
	modelsDir string
	// mirrorTestFaults enables the mirror's test hooks; never in production.
	mirrorTestFaults bool
}

func parseServeFlags(args []string, stderr io.Writer) (serveOptions, error) {
	var o serveOptions
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", envOr("HYBRIDGEN_ADDR", "127.0.0.1:8080"), "address to listen on (env HYBRIDGEN_ADDR)")
	fs.StringVar(&o.webDir, "web-dir", os.Getenv("HYBRIDGEN_WEB_DIR"), "serve the web app from this directory instead of the embedded build (env HYBRIDGEN_WEB_DIR)")
	fs.BoolVar(&o.isolation, "cross-origin-isolation", true, "send COOP/COEP so pages are cross-origin isolated (needed for WebAssembly threads)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.modelsDir, "models-dir", os.Getenv("HYBRIDGEN_MODELS_DIR"), "serve this folder of model files under /models/ with Range, ETag (SHA-256) and CORS, as filled by hybridgen models pull (env HYBRIDGEN_MODELS_DIR)")
	fs.BoolVar(&o.mirrorTestFaults, "mirror-test-faults", false, "TEST ONLY: enable the model mirror's fault injection and request counters under /_test/mirror/ (drop connections, throttle); never use in production")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("serve: unexpected arguments %q", fs.Args())}
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return o, usageError{fmt.Errorf("serve: -log-format must be text or json, got %q", o.logFormat)}
	}
	if o.mirrorTestFaults && o.modelsDir == "" {
		return o, usageError{errors.New("serve: -mirror-test-faults needs -models-dir")}
	}
	return o, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, opts.logFormat)

	var app fs.FS = webapp.Embedded()
	if opts.webDir != "" {
		app = os.DirFS(opts.webDir)
	}
	if !webapp.HasIndex(app) {
		logger.Warn("no web app to serve: build it with `make run`", "web_dir", opts.webDir)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": version})
	})
	mux.Handle("/", webapp.Handler(app))
	if opts.modelsDir != "" {
		mirrorOpts := mirror.Options{Logger: logger}
		if opts.mirrorTestFaults {
			mirrorOpts.Faults = mirror.NewFaults()
			logger.Warn("model mirror test faults enabled: not for production", "route", mirror.FaultsRoute)
		}
		models, err := mirror.New(opts.modelsDir, mirrorOpts)
		if err != nil {
			return err
		}
		defer models.Close()
		models.Mount(mux)
		logger.Info("mirroring models", "dir", opts.modelsDir, "route", mirror.RoutePrefix)
	}

	headers := server.DefaultHeaderPolicy()
	headers.CrossOriginIsolation = opts.isolation
	srv, err := server.Listen(server.Config{Addr: opts.addr, Handler: mux, Logger: logger, Headers: headers})
	if err != nil {
		return err
	}
	logger.Info("serving", "url", srv.URL(), "version", version)
	fmt.Fprintf(stdout, "hybridgen %s listening on %s\n", version, srv.URL())
	return srv.Serve(ctx)
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
