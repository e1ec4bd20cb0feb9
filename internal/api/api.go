// Package api owns hybridgen's HTTP API for the browser (routes under
// /api/): cloud renders forwarded to RunPod (or a RunPod-compatible worker),
// their status and cancel, the local drafts the browser reports, usage,
// the public configuration, RunPod's signed webhook and the canvas's image
// assets (stored by [assets.Store]). It also owns the
// job manager that follows cloud jobs to their end and settles their ledger
// rows (a submission whose outcome is unknown stays UNCONFIRMED at its worst
// case until the webhook or its ttl settles it), the budget caps and the
// rate limit keyed on the caller's identity (its bearer token's name),
// bearer-token access, the closed CORS policy, and the background
// reconciliation of jobs left in flight by a previous run.
//
// It must not serve the web app, talk to RunPod other than through
// [runpod.Client], or write SQL (that is the ledger package's). It never
// puts an API key in a response or a log line.
//
// Entry points: [New], then [API.Register] on a mux, [API.Reconcile] once
// at start (it returns at once: jobs reconcile in the background),
// [API.Close] at shutdown. The request decoders
// [DecodeImageRequest] and [DecodeDraftRequest] are exported for fuzzing.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"hybridgen/internal/assets"
	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
	"hybridgen/internal/targets"
)

// Config configures [New].
type Config struct {
	// Ledger records every job. Required.
	Ledger ledger.Store
	// PublicURL is the server's URL as RunPod reaches it (e.g.
	// https://canvas.example.com). When set, every job is submitted with a
	// signed webhook under it, which reconciles UNCONFIRMED jobs; empty
	// sends no webhook.
	PublicURL string
	// Targets are the cloud targets; none means High Quality runs locally.
	Targets targets.Config
	// Budgets are the spend caps.
	Budgets Budgets
	// RateLimit is the per-client limit on new cloud renders.
	RateLimit RateLimit
	// Access decides whether bearer tokens are required.
	Access Access
	// Logger receives job lifecycle events; nil discards them.
	Logger *slog.Logger
	// HTTPClient sends requests to the targets; nil uses a default client.
	HTTPClient *http.Client
	// Retry bounds the runpod client's retries; zero uses its defaults.
	Retry runpod.RetryPolicy
	// PollInterval and MaxPollInterval pace the /status polls of
	// in-flight jobs (defaults 500 ms and 5 s).
	PollInterval, MaxPollInterval time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Models says which model the app should open by default; GET
	// /api/config repeats it.
	Models ModelsView
	// Assets keeps the canvas's image files (PUT and GET /api/assets/);
	// nil answers those routes 404.
	Assets *assets.Store
	// Instance names this server when several share the ledger
	// (PostgreSQL): its jobs carry it as owner, rate limits are kept in the
	// ledger for all servers together, and [API.RunShared] reconciles the
	// jobs of dead servers. Empty: the only server ([API.Reconcile]).
	Instance string
}

// API serves the /api/ routes.
type API struct {
	ledger  ledger.Store
	targets targets.Config
	budgets Budgets
	tokens  tokenSet
	log     *slog.Logger
	now     func() time.Time
	jobs    *manager
	models  ModelsView
	assets  *assets.Store
}

// New builds the API and a runpod client per target. The error never holds
// an API key.
func New(cfg Config) (*API, error) {
	if cfg.Ledger == nil {
		return nil, errors.New("api: Config.Ledger is nil")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &manager{
		ledger: cfg.Ledger, targets: map[string]*cloudTarget{}, def: cfg.Targets.Default,
		budgets: cfg.Budgets, limiter: newRateLimiter(cfg.RateLimit, cfg.Now), log: cfg.Logger, now: cfg.Now,
		instance: cfg.Instance,
		waitOpts: runpod.WaitOptions{PollInterval: cfg.PollInterval, MaxInterval: cfg.MaxPollInterval},
		active:   map[string]*activeJob{}, reconciling: map[string]bool{}, timers: map[string]*time.Timer{},
		done: make(chan struct{}),
	}
	if cfg.PublicURL != "" {
		key, err := cfg.Ledger.Secret(context.Background(), "webhook")
		if err != nil {
			return nil, fmt.Errorf("api: webhook secret: %w", err)
		}
		m.hooks = &webhooks{base: publicBase(cfg.PublicURL), key: key}
	}
	for _, t := range cfg.Targets.Targets {
		c, err := runpod.NewClient(runpod.ClientConfig{
			BaseURL: t.BaseURL, EndpointID: t.EndpointID, APIKey: t.APIKey.Reveal(),
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger.With("target", t.Name), Retry: cfg.Retry,
		})
		if err != nil {
			return nil, fmt.Errorf("api: target %q: %w", t.Name, err)
		}
		m.targets[t.Name] = &cloudTarget{cfg: t, client: c}
	}
	return &API{
		ledger: cfg.Ledger, targets: cfg.Targets, budgets: cfg.Budgets, tokens: newTokenSet(cfg.Access),
		log: cfg.Logger, now: cfg.Now, jobs: m, models: cfg.Models, assets: cfg.Assets,
	}, nil
}

// Register adds the /api/ routes to mux.
//
//	POST /api/images              start a cloud render                  (guarded)
//	GET  /api/images/{id}         a job's status, image and cost        (guarded)
//	POST /api/images/{id}/cancel  cancel a cloud render                 (guarded)
//	POST /api/drafts              record a local draft                  (guarded)
//	GET  /api/usage               totals per target and day, savings    (guarded)
//	PUT  /api/assets/{sha256}     store a canvas image by its hash      (guarded)
//	GET  /api/assets/{sha256}     a stored image, cached for a year     (guarded)
//	GET  /api/config              targets, prices, limits; never a key  (open)
//	POST /api/webhooks/runpod/{id}/{sig}  RunPod's report of a job      (signed)
//	OPTIONS /api/                 refused: CORS is closed
//
// Guarded routes refuse cross-origin requests, POST bodies that are not
// application/json and, when tokens are required, requests without a valid
// bearer token. /api/config stays open so the app can learn that a token is
// required before it has one.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/images", a.guard(a.handleCreateImage))
	mux.HandleFunc("GET /api/images/{id}", a.guard(a.handleGetImage))
	mux.HandleFunc("POST /api/images/{id}/cancel", a.guard(a.handleCancelImage))
	mux.HandleFunc("POST /api/drafts", a.guard(a.handleCreateDraft))
	mux.HandleFunc("GET /api/usage", a.guard(a.handleUsage))
	mux.HandleFunc("PUT "+AssetRoute+"{sha256}", a.guard(a.handlePutAsset))
	mux.HandleFunc("GET "+AssetRoute+"{sha256}", a.guard(a.handleGetAsset))
	mux.HandleFunc("GET /api/config", a.handleConfig)
	mux.HandleFunc("POST "+WebhookRoute+"{id}/{sig}", a.handleWebhook)
	mux.HandleFunc("OPTIONS /api/", refusePreflight)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such API route")
	})
}

// Close stops following in-flight jobs, without cancelling them on RunPod:
// their rows stay in flight for the next start's [API.Reconcile]. It waits up
// to timeout for the followers to stop.
func (a *API) Close(timeout time.Duration) { a.jobs.close(timeout) }

// CloudConfigured reports whether any cloud target is configured.
func (a *API) CloudConfigured() bool { return len(a.targets.Targets) > 0 }
