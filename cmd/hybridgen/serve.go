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
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hybridgen/internal/api"
	"hybridgen/internal/assets"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
	"hybridgen/internal/mirror"
	"hybridgen/internal/server"
	"hybridgen/internal/targets"
	"hybridgen/internal/webapp"
)

// serveOptions are the flags of `hybridgen serve`.
type serveOptions struct {
	addr         string
	webDir       string
	isolation    bool
	logFormat    string
	db           string
	targetsFile  string
	tokensFile   string
	budgets      jobs.Budgets
	rate         jobs.RateLimit
	pollInterval time.Duration
	// publicURL is the server's URL as RunPod reaches it, for webhooks.
	publicURL string
	// allowedHosts are Host names served besides the loopback ones.
	allowedHosts string
	// requireToken demands bearer tokens on loopback too.
	requireToken bool
	limits       server.Config // the timeouts and caps only
	// modelsDir, when set, is served read-only under /models/ (the model mirror).
	modelsDir string
	// assetsDir keeps the canvas's image assets; maxAssetBytes caps one.
	assetsDir     string
	maxAssetBytes int64
	// mirrorTestFaults enables the mirror's test hooks; never in production.
	mirrorTestFaults bool
	// demoModel installs the built-in demo model into modelsDir.
	demoModel bool
	// instance names this server on a shared (PostgreSQL) ledger;
	// leaseTTL is how long its lease lasts unrenewed.
	instance string
	leaseTTL time.Duration
}

func parseServeFlags(args []string, stderr io.Writer) (serveOptions, error) {
	var o serveOptions
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", envOr("HYBRIDGEN_ADDR", "127.0.0.1:8080"), "address to listen on (env HYBRIDGEN_ADDR); off loopback, cloud renders need a bearer token")
	fs.StringVar(&o.webDir, "web-dir", os.Getenv("HYBRIDGEN_WEB_DIR"), "serve the web app from this directory instead of the embedded build (env HYBRIDGEN_WEB_DIR)")
	fs.BoolVar(&o.isolation, "cross-origin-isolation", true, "send COOP/COEP so pages are cross-origin isolated (needed for WebAssembly threads)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.db, "db", envOr("HYBRIDGEN_DB", "data/hybridgen.db"), "the ledger: a SQLite file, created with its directory when missing, or a postgres:// URL that several servers share (env HYBRIDGEN_DB)")
	fs.StringVar(&o.targetsFile, "targets", os.Getenv("HYBRIDGEN_TARGETS"), "JSON file of cloud targets (env HYBRIDGEN_TARGETS); none: High Quality renders locally")
	fs.StringVar(&o.tokensFile, "tokens", os.Getenv("HYBRIDGEN_TOKENS_FILE"), "file of bearer tokens, one a line, for cloud renders off loopback (env HYBRIDGEN_TOKENS_FILE; env HYBRIDGEN_TOKENS adds comma-separated ones)")
	fs.Float64Var(&o.budgets.ClientDailyUSD, "budget-client-daily", 0, "per-client daily spend cap in USD (0: none)")
	fs.Float64Var(&o.budgets.ClientMonthlyUSD, "budget-client-monthly", 0, "per-client monthly spend cap in USD (0: none)")
	fs.Float64Var(&o.budgets.GlobalDailyUSD, "budget-daily", 0, "global daily spend cap in USD (0: none)")
	fs.Float64Var(&o.budgets.GlobalMonthlyUSD, "budget-monthly", 0, "global monthly spend cap in USD (0: none)")
	fs.Float64Var(&o.rate.PerMinute, "rate", 30, "per-client cloud renders a minute, token bucket refill (0: unlimited)")
	fs.IntVar(&o.rate.Burst, "rate-burst", 10, "per-client burst of cloud renders")
	fs.DurationVar(&o.pollInterval, "poll-interval", 500*time.Millisecond, "first pause between RunPod /status polls of a job")
	fs.StringVar(&o.publicURL, "public-url", os.Getenv("HYBRIDGEN_PUBLIC_URL"), "the server's URL as RunPod reaches it, e.g. https://canvas.example.com (env HYBRIDGEN_PUBLIC_URL): jobs then carry a signed webhook that reconciles submissions whose outcome is unknown")
	fs.StringVar(&o.allowedHosts, "allowed-hosts", os.Getenv("HYBRIDGEN_ALLOWED_HOSTS"), "comma-separated Host names served on a loopback address besides localhost, 127.0.0.1 and [::1] (env HYBRIDGEN_ALLOWED_HOSTS); others get 421 (DNS rebinding)")
	fs.BoolVar(&o.requireToken, "require-token", false, "require bearer tokens on loopback too: use it behind a reverse proxy on the same host")
	fs.DurationVar(&o.limits.BodyTimeout, "body-timeout", server.DefaultBodyTimeout, "a request body must arrive within this time")
	fs.DurationVar(&o.limits.WriteTimeout, "write-timeout", server.DefaultWriteTimeout, "an answer's first write must happen within this time")
	fs.DurationVar(&o.limits.WriteIdleTimeout, "write-idle-timeout", server.DefaultWriteIdleTimeout, "a client that reads nothing of an answer for this long is cut off (large files keep streaming while it reads)")
	fs.IntVar(&o.limits.MaxConns, "max-conns", server.DefaultMaxConns, "connections served at once")
	fs.StringVar(&o.modelsDir, "models-dir", os.Getenv("HYBRIDGEN_MODELS_DIR"), "serve this folder of model files under /models/ with Range, ETag (SHA-256) and CORS, as filled by hybridgen models pull (env HYBRIDGEN_MODELS_DIR)")
	fs.StringVar(&o.assetsDir, "assets-dir", os.Getenv("HYBRIDGEN_ASSETS_DIR"), "keep the canvas's images here, named by their SHA-256 (env HYBRIDGEN_ASSETS_DIR); default: assets/ beside a SQLite ledger, data/assets with PostgreSQL")
	fs.Int64Var(&o.maxAssetBytes, "max-asset-bytes", api.DefaultMaxAssetBytes, "the largest canvas image the server stores")
	fs.BoolVar(&o.mirrorTestFaults, "mirror-test-faults", false, "TEST ONLY: enable the model mirror's fault injection and request counters under /_test/mirror/ (drop connections, throttle); never use in production")
	fs.BoolVar(&o.demoModel, "demo-model", true, "install the built-in demo model (random weights: shows the pipeline, not pictures) into -models-dir, so the app works before SD-Turbo is pulled")
	fs.StringVar(&o.instance, "instance", os.Getenv("HYBRIDGEN_INSTANCE"), "this server's name on a postgres:// ledger shared with others (env HYBRIDGEN_INSTANCE); default: host name and a random suffix")
	fs.DurationVar(&o.leaseTTL, "lease-ttl", jobs.DefaultLeaseTTL, "on a postgres:// ledger, how long after its last renewal a server that died has its in-flight jobs taken over by another")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return o, usageError{fmt.Errorf("serve: unexpected arguments %q", fs.Args())}
	case o.leaseTTL < 300*time.Millisecond:
		return o, usageError{errors.New("serve: -lease-ttl must be at least 300ms")}
	case o.logFormat != "text" && o.logFormat != "json":
		return o, usageError{fmt.Errorf("serve: -log-format must be text or json, got %q", o.logFormat)}
	case o.db == "":
		return o, usageError{errors.New("serve: -db must name a SQLite file or a postgres:// URL")}
	case o.budgets.ClientDailyUSD < 0 || o.budgets.ClientMonthlyUSD < 0 || o.budgets.GlobalDailyUSD < 0 || o.budgets.GlobalMonthlyUSD < 0:
		return o, usageError{errors.New("serve: budgets must not be negative")}
	case o.rate.PerMinute < 0 || o.rate.Burst < 1:
		return o, usageError{errors.New("serve: -rate must be >= 0 and -rate-burst >= 1")}
	case o.maxAssetBytes < 1:
		return o, usageError{errors.New("serve: -max-asset-bytes must be positive")}
	case o.pollInterval <= 0:
		return o, usageError{errors.New("serve: -poll-interval must be positive")}
	case o.limits.BodyTimeout <= 0 || o.limits.WriteTimeout <= 0 || o.limits.WriteIdleTimeout <= 0 || o.limits.MaxConns < 1:
		return o, usageError{errors.New("serve: timeouts must be positive and -max-conns at least 1")}
	}
	if o.publicURL != "" {
		u, err := url.Parse(o.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
			return o, usageError{fmt.Errorf("serve: -public-url must be an http or https URL without query or credentials, got %q", o.publicURL)}
		}
	}
	if o.assetsDir == "" {
		o.assetsDir = filepath.Join("data", "assets")
		if !ledger.IsPostgresURL(o.db) {
			o.assetsDir = filepath.Join(filepath.Dir(o.db), "assets")
		}
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

	app := webApp(opts, logger)
	cloud, err := targets.Load(opts.targetsFile, os.Getenv)
	if err != nil {
		return err
	}
	loopback := api.IsLoopback(opts.addr)
	access, err := accessRules(opts, loopback, logger)
	if err != nil {
		return err
	}

	defaultModel, demo := prepareModels(opts, logger)
	lg, err := ledger.Open(ctx, opts.db, ledger.Options{})
	if err != nil {
		return err
	}
	defer lg.Close()
	instance := ""
	if ledger.IsPostgresURL(opts.db) {
		instance = instanceName(opts.instance)
	}
	images, err := assets.Open(opts.assetsDir, opts.maxAssetBytes)
	if err != nil {
		return err
	}
	manager, err := jobs.New(jobs.Config{
		Ledger: lg, Targets: cloud, Budgets: opts.budgets, RateLimit: opts.rate,
		Logger: logger, PollInterval: opts.pollInterval, PublicURL: opts.publicURL, Instance: instance,
	})
	if err != nil {
		return err
	}
	defer manager.Close(2 * time.Second)
	cloudAPI, err := api.New(api.Config{Jobs: manager, Access: access, DefaultModel: defaultModel, DemoModel: demo, Logger: logger, Assets: images})
	if err != nil {
		return err
	}
	if manager.CloudConfigured() {
		logger.Info("cloud targets", "targets", cloud.Names(), "default", cloud.Default)
	} else {
		logger.Info("no cloud target configured: High Quality renders run locally")
	}
	stopReconciling, err := startReconciling(ctx, manager, instance, opts.leaseTTL, logger)
	if err != nil {
		return err
	}
	defer stopReconciling()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", serveHealth)
	cloudAPI.Register(mux)
	mux.Handle("/", webapp.Handler(app))
	closeMirror, err := mountMirror(mux, opts, logger)
	if err != nil {
		return err
	}
	defer closeMirror()

	headers := server.DefaultHeaderPolicy()
	headers.CrossOriginIsolation = opts.isolation
	limits := opts.limits
	limits.Addr, limits.Handler, limits.Logger, limits.Headers = opts.addr, mux, logger, headers
	limits.CheckHost, limits.AllowedHosts = loopback, servedHosts(opts)
	srv, err := server.Listen(limits)
	if err != nil {
		return err
	}
	logger.Info("serving", "url", srv.URL(), "version", version, "db", ledger.Redact(opts.db), "token_required", access.RequireToken)
	fmt.Fprintf(stdout, "hybridgen %s listening on %s\n", version, srv.URL())
	return srv.Serve(ctx)
}

// webApp is the app to serve: the embedded build, or -web-dir.
func webApp(opts serveOptions, logger *slog.Logger) fs.FS {
	var app fs.FS = webapp.Embedded()
	if opts.webDir != "" {
		app = os.DirFS(opts.webDir)
	}
	if !webapp.HasIndex(app) {
		logger.Warn("no web app to serve: build it with `make run`", "web_dir", opts.webDir)
	}
	return app
}

// accessRules are the bearer-token rules: required off loopback (or when
// asked), with the tokens from -tokens or HYBRIDGEN_TOKENS.
func accessRules(opts serveOptions, loopback bool, logger *slog.Logger) (api.Access, error) {
	tokens, err := loadTokens(opts.tokensFile, os.Getenv("HYBRIDGEN_TOKENS"))
	if err != nil {
		return api.Access{}, err
	}
	access := api.Access{RequireToken: !loopback || opts.requireToken, Tokens: tokens}
	if access.RequireToken && len(tokens) == 0 {
		logger.Warn("listening off loopback with no bearer tokens: every cloud render will be refused (401); set -tokens")
	}
	return access, nil
}

// serveHealth answers GET /healthz with the version.
func serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": version})
}

// mountMirror serves -models-dir under the mirror's route, when set; the
// returned func closes it.
func mountMirror(mux *http.ServeMux, opts serveOptions, logger *slog.Logger) (func(), error) {
	if opts.modelsDir == "" {
		return func() {}, nil
	}
	mirrorOpts := mirror.Options{Logger: logger}
	if opts.mirrorTestFaults {
		mirrorOpts.Faults = mirror.NewFaults()
		logger.Warn("model mirror test faults enabled: not for production", "route", mirror.FaultsRoute)
	}
	models, err := mirror.New(opts.modelsDir, mirrorOpts)
	if err != nil {
		return nil, fmt.Errorf("model mirror: %w", err)
	}
	models.Mount(mux)
	logger.Info("mirroring models", "dir", opts.modelsDir, "route", mirror.RoutePrefix)
	return func() { _ = models.Close() }, nil
}

// servedHosts are the Host names served on loopback besides the loopback
// ones: -allowed-hosts and the -public-url's host.
func servedHosts(o serveOptions) []string {
	var hosts []string
	for _, h := range strings.Split(o.allowedHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	if u, err := url.Parse(o.publicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	return hosts
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
