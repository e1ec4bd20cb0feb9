// Package api is hybridgen's HTTP API for the browser (routes under
// /api/), and nothing but HTTP: it decodes and validates requests, checks
// bearer tokens and the closed CORS policy, calls the job manager
// ([jobs.Manager]: cloud renders, cancels, drafts, usage, RunPod's signed
// webhook) and the image store ([assets.Store]: the canvas's images, PUT
// and GET by their SHA-256), and writes its answers. Handlers return a
// status and a body, or an error; one table, [errorRules], maps typed
// errors to the HTTP status and error code of the answer (never their
// text).
//
// It must not serve the web app, talk to RunPod, keep job state or write
// SQL: money decisions (budgets, rate limits, idempotency, settlement,
// reconciliation) are the jobs package's. It never puts an API key in a
// response or a log line.
//
// Entry points: [New] on a [jobs.Manager], then [API.Register] on a mux.
// The request decoders [DecodeImageRequest] and [DecodeDraftRequest] are
// exported for fuzzing.
package api

import (
	"errors"
	"log/slog"
	"net/http"

	"hybridgen/internal/assets"
	"hybridgen/internal/jobs"
)

// Config configures [New].
type Config struct {
	// Jobs runs the cloud jobs and keeps their ledger. Required.
	Jobs *jobs.Manager
	// Access decides whether bearer tokens are required.
	Access Access
	// DefaultModel is the model id the app opens when the page names none
	// ("sd-turbo", or the built-in demo model); empty when the server
	// mirrors no model. GET /api/config repeats it.
	DefaultModel string
	// DemoModel is true when DefaultModel is the built-in demo model
	// (random weights): the app then says how to get real ones.
	DemoModel bool
	// Logger receives failures; nil discards them.
	Logger *slog.Logger
	// Assets keeps the canvas's image files (PUT and GET /api/assets/);
	// nil answers those routes 404.
	Assets *assets.Store
}

// API serves the /api/ routes.
type API struct {
	jobs   *jobs.Manager
	tokens tokenSet
	log    *slog.Logger
	models ModelsView
	assets *assets.Store
}

// New builds the API.
func New(cfg Config) (*API, error) {
	if cfg.Jobs == nil {
		return nil, errors.New("api: Config.Jobs is nil")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &API{jobs: cfg.Jobs, tokens: newTokenSet(cfg.Access), log: cfg.Logger, assets: cfg.Assets,
		models: ModelsView{Default: cfg.DefaultModel, Demo: cfg.DemoModel}}, nil
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
	mux.HandleFunc("POST /api/images", a.serve(a.guard(a.handleCreateImage)))
	mux.HandleFunc("GET /api/images/{id}", a.serve(a.guard(a.handleGetImage)))
	mux.HandleFunc("POST /api/images/{id}/cancel", a.serve(a.guard(a.handleCancelImage)))
	mux.HandleFunc("POST /api/drafts", a.serve(a.guard(a.handleCreateDraft)))
	mux.HandleFunc("GET /api/usage", a.serve(a.guard(a.handleUsage)))
	mux.HandleFunc("PUT "+AssetRoute+"{sha256}", a.serve(a.guard(a.handlePutAsset)))
	mux.HandleFunc("GET "+AssetRoute+"{sha256}", a.serve(a.guard(a.handleGetAsset)))
	mux.HandleFunc("GET /api/config", a.serve(a.handleConfig))
	mux.HandleFunc("POST "+jobs.WebhookRoute+"{id}/{sig}", a.serve(a.handleWebhook))
	mux.HandleFunc("OPTIONS /api/", a.serve(refuse(ErrCrossOrigin)))
	mux.HandleFunc("/api/", a.serve(refuse(ErrNoRoute)))
}

// handler is an API route in the habit of tailscale's tsweb: it returns the
// status and body of its answer, or an error that [API.serve] turns into
// an error answer through [errorRules]. It may set headers on w but never
// writes a body. A body is written as JSON, unless it is an [http.Handler]
// that answers for itself (a stored image, with Range and conditional
// requests).
type handler func(w http.ResponseWriter, r *http.Request) (status int, body any, err error)

// serve adapts h to net/http: a success is written as JSON (or by the
// body itself, see [handler]), an error as the error answer [errorRules]
// gives it; answers that are the server's fault (5xx) are logged with the
// whole error chain.
func (a *API) serve(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, body, err := h(w, r)
		if self, ok := body.(http.Handler); ok && err == nil {
			self.ServeHTTP(w, r)
			return
		}
		if err == nil {
			writeJSON(w, status, body)
			return
		}
		status, answer := errorAnswer(err, w.Header())
		if status >= 500 {
			a.log.Error("api: "+r.Method+" "+r.URL.Path, "status", status, "error", err.Error())
		}
		writeJSON(w, status, answer)
	}
}

// refuse is a handler that always answers err.
func refuse(err error) handler {
	return func(http.ResponseWriter, *http.Request) (int, any, error) { return 0, nil, err }
}
