// Package jobs owns hybridgen's cloud jobs and their money: the [Manager]
// submits cloud renders to RunPod (or a RunPod-compatible worker), follows
// them to their end and settles their ledger rows (a submission whose
// outcome is unknown stays UNCONFIRMED at its worst case until the webhook
// or its ttl settles it); it records local drafts, enforces the budget caps
// and the rate limit keyed on the caller's [Identity], reconciles jobs left
// in flight by a previous run (alone, or as one of several servers sharing
// a PostgreSQL ledger), and turns ledger rows and usage into their JSON
// views ([JobView], [UsageView]), shared by the HTTP API and the CLI.
//
// It knows nothing of HTTP requests: internal/api decodes them, calls the
// Manager and maps its typed errors to answers. It must not talk to RunPod
// other than through [runpod.Client], or write SQL (that is the ledger
// package's). It never puts an API key in an error or a log line.
//
// Entry points: [New], then [Manager.Reconcile] once at start (it returns
// at once: jobs reconcile in the background) or [Manager.StartShared] on a
// shared ledger, [Manager.Close] at shutdown.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

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
	// Instance names this server when several share the ledger
	// (PostgreSQL): its jobs carry it as owner, rate limits are kept in the
	// ledger for all servers together, and [Manager.StartShared] reconciles
	// the jobs of dead servers. Empty: the only server ([Manager.Reconcile]).
	Instance string
}

// cloudTarget is a configured target with its client.
type cloudTarget struct {
	cfg    targets.Target
	client *runpod.Client
}

// Manager submits cloud jobs, follows them to their end and settles their
// ledger rows. One goroutine follows each in-flight job.
type Manager struct {
	ledger   ledger.Store
	cfg      targets.Config
	targets  map[string]*cloudTarget
	budgets  Budgets
	limiter  *rateLimiter
	instance string // this server among several sharing the ledger; "" alone
	log      *slog.Logger
	now      func() time.Time
	waitOpts runpod.WaitOptions

	hooks *webhooks // nil: no public URL, no webhook

	mu          sync.Mutex
	active      map[string]*activeJob  // by ledger job id
	reconciling map[string]bool        // jobs of a previous run not yet heard of
	timers      map[string]*time.Timer // UNCONFIRMED jobs' settle-at-estimate
	closed      bool
	done        chan struct{}
	wg          sync.WaitGroup
}

// activeJob is what the manager knows of a job it is submitting or following.
type activeJob struct {
	remoteID        string
	cancelRequested bool
}

// New builds the manager and a runpod client per target. The error never
// holds an API key.
func New(cfg Config) (*Manager, error) {
	if cfg.Ledger == nil {
		return nil, errors.New("jobs: Config.Ledger is nil")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := newManager(cfg.Ledger, cfg.Logger, cfg.Now)
	m.cfg, m.budgets, m.instance = cfg.Targets, cfg.Budgets, cfg.Instance
	m.limiter = newRateLimiter(cfg.RateLimit, cfg.Now)
	m.waitOpts = runpod.WaitOptions{PollInterval: cfg.PollInterval, MaxInterval: cfg.MaxPollInterval}
	if cfg.PublicURL != "" {
		key, err := cfg.Ledger.Secret(context.Background(), "webhook")
		if err != nil {
			return nil, fmt.Errorf("jobs: webhook secret: %w", err)
		}
		m.hooks = &webhooks{base: strings.TrimRight(cfg.PublicURL, "/"), key: key}
	}
	for _, t := range cfg.Targets.Targets {
		c, err := runpod.NewClient(runpod.ClientConfig{
			BaseURL: t.BaseURL, EndpointID: t.EndpointID, APIKey: t.APIKey.Reveal(),
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger.With("target", t.Name), Retry: cfg.Retry,
		})
		if err != nil {
			return nil, fmt.Errorf("jobs: target %q: %w", t.Name, err)
		}
		m.targets[t.Name] = &cloudTarget{cfg: t, client: c}
	}
	return m, nil
}

// newManager is a manager with no target, budget or rate limit.
func newManager(lg ledger.Store, log *slog.Logger, now func() time.Time) *Manager {
	return &Manager{
		ledger: lg, targets: map[string]*cloudTarget{}, limiter: newRateLimiter(RateLimit{}, now), log: log, now: now,
		active: map[string]*activeJob{}, reconciling: map[string]bool{}, timers: map[string]*time.Timer{},
		done: make(chan struct{}),
	}
}

// CloudConfigured reports whether any cloud target is configured.
func (m *Manager) CloudConfigured() bool { return len(m.cfg.Targets) > 0 }

// Targets is the cloud targets' configuration (its keys stay redacted).
func (m *Manager) Targets() targets.Config { return m.cfg }

// Budgets is the spend caps.
func (m *Manager) Budgets() Budgets { return m.budgets }

// Target is the configured target called name ("": the default one); an
// unknown name is an error matching [ErrUnknownTarget].
func (m *Manager) Target(name string) (targets.Target, error) {
	t, err := m.target(name)
	if err != nil {
		return targets.Target{}, err
	}
	return t.cfg, nil
}

func (m *Manager) target(name string) (*cloudTarget, error) {
	if name == "" {
		name = m.cfg.Default
	}
	t, ok := m.targets[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTarget, name)
	}
	return t, nil
}

// Job reads ledger job id; a missing one matches [ledger.ErrNotFound].
func (m *Manager) Job(ctx context.Context, id string) (ledger.Job, error) {
	j, err := m.ledger.Get(ctx, id)
	if err != nil {
		return j, fmt.Errorf("jobs: read job %s: %w", id, err)
	}
	return j, nil
}
