// Package emulator is a RunPod serverless emulator: a test double of
// RunPod's documented /v2/{endpoint}/ API running the worker-sdxl input and
// output schema, for development and tests. It is clearly not RunPod: it
// renders deterministic placeholder PNGs derived from a hash of the inputs,
// not diffusion images.
//
// It owns the simulated endpoint: a job queue served by Config.Workers
// simulated workers with cold starts, execution times reported in
// milliseconds like RunPod (so a ledger can bill them), policies
// (executionTimeout, ttl, lowPriority), /health counts, and fault injection
// for tests. It must not import the hybridgen client (internal/runpod) nor
// know about ledgers or budgets: it only speaks the wire protocol, so tests
// of the client against it prove the client follows the protocol, not
// itself.
//
// Entry points: [New] returns an [http.Handler] serving /v2/{endpoint}/...
// and the control API under /_emulator/ (see [Emulator.InjectFaults],
// [Emulator.Requests], [Emulator.Reset] for the same in-process); `hybridgen
// runpod-emulator` serves it on a port.
//
// Control API (no authentication; bind it to loopback):
//
//	POST   /_emulator/faults    add faults, e.g. [{"route":"run","kind":"http_429","count":2,"retry_after":1},
//	                            {"route":"status","kind":"http_500"},{"route":"run","kind":"drop"},
//	                            {"route":"run","kind":"drop_after"},{"route":"run","kind":"error_after"},
//	                            {"kind":"job_failed","message":"oom"},{"kind":"job_timed_out"}]
//	GET    /_emulator/faults    the faults still pending
//	DELETE /_emulator/faults    drop the pending faults
//	GET    /_emulator/requests  a [RequestLog]: requests per route, /cancel calls, jobs created
//	POST   /_emulator/reset     forget jobs, faults, counts; workers go cold
//
// drop_after, error_after and delay_after create the job and then lose,
// fail or delay the answer: the ambiguous submissions a client cannot
// safely retry. The request log records each job's webhook and the
// execution time it billed.
//
// Injected HTTP faults fire before authentication, like a misbehaving
// gateway in front of RunPod; every request is counted first.
//
// Deviations from RunPod, on purpose: /runsync honours any ?wait= (RunPod
// clamps it to 1..300 s) so tests stay fast; /stream is not served; an
// empty Config.APIKey turns authentication off.
package emulator

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Config sets up an [Emulator]. Zero fields take the defaults noted.
type Config struct {
	// APIKey is the bearer token requests must carry; empty accepts any
	// request (no authentication).
	APIKey string
	// EndpointID is the endpoint served under /v2/{EndpointID}/ (default
	// "emulator"); other endpoint ids answer 404.
	EndpointID string
	// ColdStart is paid by each worker's first job, and again by the first
	// job after the worker sat idle longer than IdleTimeout. It counts in
	// the job's delayTime, as on RunPod.
	ColdStart time.Duration
	// ExecutionTime is how long a job with worker-sdxl's defaults (25
	// steps, one image) runs. A job runs ExecutionTime × steps/25 × images,
	// where steps is num_inference_steps, or for img2img
	// refiner_inference_steps × strength (at least 1).
	ExecutionTime time.Duration
	// Workers is the number of simulated workers (default 1).
	Workers int
	// IdleTimeout makes a worker cold again after this much idle time;
	// zero keeps workers warm once started.
	IdleTimeout time.Duration
	// ResultRetention is how long a final /run job stays readable (default
	// 30 min, as on RunPod; /runsync jobs: 1 min). A job's ttl, when
	// shorter, wins.
	ResultRetention time.Duration
	// Logger receives job transitions and faults; nil discards them.
	Logger *slog.Logger
	// WebhookClient posts final jobs to their webhook; nil uses a client
	// with a 10 s timeout.
	WebhookClient *http.Client
}

// DefaultEndpointID is the endpoint id used when Config.EndpointID is empty.
const DefaultEndpointID = "emulator"

// Emulator is a simulated RunPod serverless endpoint. It is an
// [http.Handler]; call [Emulator.Close] to stop its workers.
type Emulator struct {
	cfg  Config
	log  *slog.Logger
	mux  *http.ServeMux
	wg   sync.WaitGroup
	hook *http.Client

	mu      sync.Mutex
	cond    *sync.Cond // signalled when the queue gains a job or the emulator closes
	closed  bool
	jobs    map[string]*job
	queue   []*job // normal priority, FIFO
	lowQ    []*job // lowPriority, served after queue
	workers []*worker
	faults  []Fault
	stats   stats
	reqs    RequestLog
}

// New returns an emulator with its workers started.
func New(cfg Config) *Emulator {
	if cfg.EndpointID == "" {
		cfg.EndpointID = DefaultEndpointID
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.ResultRetention <= 0 {
		cfg.ResultRetention = 30 * time.Minute
	}
	e := &Emulator{cfg: cfg, log: cfg.Logger, hook: cfg.WebhookClient, jobs: map[string]*job{}}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.hook == nil {
		e.hook = &http.Client{Timeout: 10 * time.Second}
	}
	e.cond = sync.NewCond(&e.mu)
	e.reqs = newRequestLog()
	for i := range cfg.Workers {
		w := &worker{id: workerID(i)}
		e.workers = append(e.workers, w)
		e.wg.Add(1)
		go e.work(w)
	}
	e.routes()
	return e
}

// BaseURL turns the URL of a server running the emulator (for example an
// httptest.Server's URL) into the base URL a RunPod client needs.
func BaseURL(serverURL string) string { return strings.TrimRight(serverURL, "/") + "/v2" }

// EndpointID is the endpoint the emulator serves.
func (e *Emulator) EndpointID() string { return e.cfg.EndpointID }

// ServeHTTP serves the RunPod API and the control API.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

// Close cancels every job in flight and stops the workers. Requests after
// Close still answer, but no job runs.
func (e *Emulator) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	for _, j := range e.jobs {
		j.interruptLocked()
	}
	e.cond.Broadcast()
	e.mu.Unlock()
	e.wg.Wait()
}

func (e *Emulator) routes() {
	m := http.NewServeMux()
	api := func(pattern, route string, h http.HandlerFunc) {
		m.Handle(pattern, e.api(route, h))
	}
	api("POST /v2/{endpoint}/run", "run", e.handleRun)
	api("POST /v2/{endpoint}/runsync", "runsync", e.handleRunSync)
	api("GET /v2/{endpoint}/status/{id}", "status", e.handleStatus)
	api("POST /v2/{endpoint}/status/{id}", "status", e.handleStatus)
	api("POST /v2/{endpoint}/cancel/{id}", "cancel", e.handleCancel)
	api("POST /v2/{endpoint}/retry/{id}", "retry", e.handleRetry)
	api("POST /v2/{endpoint}/purge-queue", "purge-queue", e.handlePurge)
	api("GET /v2/{endpoint}/health", "health", e.handleHealth)
	m.HandleFunc("GET /_emulator/faults", e.handleGetFaults)
	m.HandleFunc("POST /_emulator/faults", e.handleAddFaults)
	m.HandleFunc("DELETE /_emulator/faults", e.handleClearFaults)
	m.HandleFunc("GET /_emulator/requests", e.handleRequests)
	m.HandleFunc("POST /_emulator/reset", e.handleReset)
	e.mux = m
}

// api wraps a RunPod route: count it, apply an injected HTTP fault, check
// the bearer token and the endpoint id.
func (e *Emulator) api(route string, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.reqs.Counts[route]++
		f, ok := e.takeHTTPFaultLocked(route)
		e.mu.Unlock()
		if ok && f.apply(w, r, e.log, route, func(w http.ResponseWriter) { e.serveAPI(w, r, next) }) {
			return
		}
		e.serveAPI(w, r, next)
	})
}

func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	if !e.authorized(r) {
		e.mu.Lock()
		e.reqs.Unauthorized++
		e.mu.Unlock()
		writeError(w, http.StatusUnauthorized, "unauthorized: missing or wrong bearer token")
		return
	}
	if r.PathValue("endpoint") != e.cfg.EndpointID {
		writeError(w, http.StatusNotFound, "endpoint not found")
		return
	}
	next(w, r)
}

func (e *Emulator) authorized(r *http.Request) bool {
	if e.cfg.APIKey == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(e.cfg.APIKey)) == 1
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
