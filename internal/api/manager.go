package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
	"hybridgen/internal/targets"
)

// SubmitTimeout bounds the POST /run of one job.
const SubmitTimeout = 60 * time.Second

// ErrIdempotencyConflict is returned when an idempotency key is reused by the
// same client with a different request.
var ErrIdempotencyConflict = errors.New("idempotency key already used for a different request")

// ErrUnknownTarget is returned for a target name that is not configured.
var ErrUnknownTarget = errors.New("unknown target")

// SubmitError is a job the cloud target did not accept; the ledger row is
// settled FAILED at cost 0 and Job is that row.
type SubmitError struct {
	Job ledger.Job
	Err error
}

func (e *SubmitError) Error() string { return "submit to the cloud target failed: " + e.Err.Error() }
func (e *SubmitError) Unwrap() error { return e.Err }

// cloudTarget is a configured target with its client.
type cloudTarget struct {
	cfg    targets.Target
	client *runpod.Client
}

// manager submits cloud jobs, follows them to their end and settles their
// ledger rows. One goroutine follows each in-flight job.
type manager struct {
	ledger   *ledger.Ledger
	targets  map[string]*cloudTarget
	def      string
	budgets  Budgets
	limiter  *rateLimiter
	log      *slog.Logger
	now      func() time.Time
	waitOpts runpod.WaitOptions

	mu     sync.Mutex
	active map[string]*activeJob // by ledger job id
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

// activeJob is what the manager knows of a job it is submitting or following.
type activeJob struct {
	remoteID        string
	cancelRequested bool
}

func newJobID(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("api: crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	return prefix + hex.EncodeToString(b[:])
}

func (m *manager) target(name string) (*cloudTarget, error) {
	if name == "" {
		name = m.def
	}
	t, ok := m.targets[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTarget, name)
	}
	return t, nil
}

// submit records the job (or finds the one recorded for the same idempotency
// key), and for a new job checks the rate limit and budgets, then submits it
// to RunPod and starts following it. Refusals happen before any RunPod call.
func (m *manager) submit(ctx context.Context, req ImageRequest) (ledger.Job, bool, error) {
	t, err := m.target(req.Target)
	if err != nil {
		return ledger.Job{}, false, err
	}
	estimate := ledger.CostOf(t.cfg.PricePerSecondUSD, t.cfg.Estimate(req.Width, req.Height, req.Steps))
	n := ledger.NewJob{
		ID: newJobID("img_"), ClientID: req.ClientID, IdempotencyKey: req.IdempotencyKey,
		RequestHash: req.Hash(), Target: t.cfg.Name, Model: t.cfg.Model,
		Width: req.Width, Height: req.Height, Steps: req.Steps, Kind: ledger.KindCloud,
		Status: ledger.StatusPending, EstimatedCost: estimate,
	}
	job, created, err := m.ledger.CreateOrGetIf(ctx, n, func(ctx context.Context, q ledger.Querier) error {
		if ok, wait := m.limiter.take(req.ClientID); !ok {
			return &RateLimitError{RetryAfter: wait}
		}
		return checkBudgets(ctx, q, m.budgets, m.now(), req.ClientID, estimate)
	})
	if err != nil {
		return ledger.Job{}, false, err
	}
	if !created {
		if job.RequestHash != n.RequestHash {
			return job, false, ErrIdempotencyConflict
		}
		return job, false, nil
	}
	m.mu.Lock()
	if m.active[job.ID] == nil { // a concurrent cancel may have registered it
		m.active[job.ID] = &activeJob{}
	}
	m.mu.Unlock()

	// The submission outlives the browser's request: once the row exists,
	// the job is ours to settle.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), SubmitTimeout)
	defer cancel()
	remote, err := t.client.Run(sctx, toSDXLInput(req), runpod.RunOptions{Policy: runpod.Policy{
		ExecutionTimeout: t.cfg.ExecutionTimeout(), TTL: t.cfg.TTL(),
	}})
	if err != nil {
		note := "submission refused: " + err.Error()
		if submitUncertain(err) {
			note = "submission outcome unknown, not retried to avoid a double charge: " + err.Error()
		}
		m.forget(job.ID)
		settled, _, serr := m.ledger.Settle(context.WithoutCancel(ctx), job.ID,
			ledger.Settlement{Status: ledger.StatusFailed, Error: note})
		if serr != nil {
			return job, true, errors.Join(err, serr)
		}
		m.log.Warn("cloud submit failed", "job_id", job.ID, "target", t.cfg.Name, "error", err.Error())
		return settled, true, &SubmitError{Job: settled, Err: err}
	}
	status := ledger.Status(remote.Status)
	if status.Final() || status == "" {
		status = ledger.StatusInQueue // the follower settles it on its first poll
	}
	if err := m.ledger.MarkSubmitted(context.WithoutCancel(ctx), job.ID, remote.ID, status); err != nil {
		m.log.Error("ledger: mark submitted", "job_id", job.ID, "remote_id", remote.ID, "error", err.Error())
	}
	job.RemoteID, job.Status = remote.ID, status
	m.log.Info("cloud job submitted", "job_id", job.ID, "remote_id", remote.ID, "target", t.cfg.Name, "client_id", req.ClientID)
	m.follow(job.ID, remote.ID, t)
	return job, true, nil
}

// submitUncertain reports whether a failed /run may still have created a
// job on RunPod: the client says so, or the server answered 500, 502 or 504
// (it may have accepted the job before failing).
func submitUncertain(err error) bool {
	if errors.Is(err, runpod.ErrSubmitUncertain) {
		return true
	}
	var apiErr *runpod.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case 500, 502, 504:
			return true
		}
	}
	return false
}

func toSDXLInput(req ImageRequest) runpod.SDXLInput {
	in := runpod.SDXLInput{
		Prompt: req.Prompt, NegativePrompt: req.NegativePrompt,
		Width: req.Width, Height: req.Height, Seed: req.Seed,
		NumInferenceSteps: req.Steps, GuidanceScale: req.Guidance,
		ImageURL: req.InitImage, NumImages: 1,
	}
	if req.Strength != nil {
		in.Strength = *req.Strength
	} else if req.InitImage != "" {
		in.Strength = DefaultStrength
	}
	return in
}

// follow starts the goroutine that waits for remoteID to end and settles
// ledger job id. A pending cancel request is sent first.
func (m *manager) follow(id, remoteID string, t *cloudTarget) {
	m.mu.Lock()
	a := m.active[id]
	if a == nil {
		a = &activeJob{}
		m.active[id] = a
	}
	a.remoteID = remoteID
	cancelNow := a.cancelRequested
	closed := m.closed
	if !closed {
		m.wg.Add(1)
	}
	m.mu.Unlock()
	if closed {
		return
	}
	go func() {
		defer m.wg.Done()
		defer m.forget(id)
		if cancelNow {
			if _, err := t.client.Cancel(context.Background(), remoteID); err != nil {
				m.log.Warn("cloud cancel failed", "job_id", id, "remote_id", remoteID, "error", err.Error())
			}
		}
		m.waitAndSettle(id, remoteID, t)
	}()
}

// waitAndSettle polls the job with runpod's Wait until it is final, then
// settles the row. The context is never cancelled (that would cancel the job
// on RunPod): on shutdown the goroutine is abandoned and the next start
// reconciles the row.
func (m *manager) waitAndSettle(id, remoteID string, t *cloudTarget) {
	opts := m.waitOpts
	opts.OnUpdate = func(j runpod.Job) {
		if !j.Status.Final() && !m.isClosed() {
			_ = m.ledger.Progress(context.Background(), id, ledger.Status(j.Status), j.DelayTime, j.ExecutionTime)
		}
	}
	backoff := time.Second
	for {
		job, err := t.client.Wait(context.Background(), remoteID, opts)
		if m.isClosed() {
			return
		}
		switch {
		case job.Status.Final():
			m.settleFromRemote(id, t, job)
			return
		case errors.Is(err, runpod.ErrNotFound):
			m.settleUnknown(id, remoteID)
			return
		}
		m.log.Warn("cloud job status unavailable, will retry", "job_id", id, "remote_id", remoteID, "error", errString(err))
		select {
		case <-m.done:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// settleFromRemote settles ledger job id from RunPod's final report: the cost
// is what RunPod bills, price per second × execution time, whatever the
// final state.
func (m *manager) settleFromRemote(id string, t *cloudTarget, j runpod.Job) {
	s := ledger.Settlement{
		Status: ledger.Status(j.Status), Queue: j.DelayTime, Execution: j.ExecutionTime,
		Cost: ledger.CostOf(t.cfg.PricePerSecondUSD, j.ExecutionTime), Error: j.Error,
	}
	if j.Status == runpod.StatusCompleted {
		switch {
		case j.Output != nil && len(j.Output.Images) > 0:
			s.Image, s.Seed = j.Output.Images[0], j.Output.Seed
		case j.Output != nil && j.Output.ImageURL != "":
			s.Image, s.Seed = j.Output.ImageURL, j.Output.Seed
		default:
			s.Error = "the worker completed without an image"
		}
	}
	job, now, err := m.ledger.Settle(context.Background(), id, s)
	if err != nil {
		m.log.Error("ledger: settle", "job_id", id, "error", err.Error())
		return
	}
	if now {
		m.log.Info("cloud job settled", "job_id", id, "remote_id", j.ID, "status", string(job.Status),
			"execution", job.Execution, "cost_usd", job.Cost.USD())
	}
}

// settleUnknown settles a job RunPod does not know (ttl expired, result
// retention over, or never accepted) as FAILED at cost 0 with a note.
func (m *manager) settleUnknown(id, remoteID string) {
	_, now, err := m.ledger.Settle(context.Background(), id, ledger.Settlement{
		Status: ledger.StatusFailed,
		Error:  "RunPod no longer knows job " + remoteID + " (ttl or result retention expired): settled at cost 0",
	})
	if err != nil {
		m.log.Error("ledger: settle unknown job", "job_id", id, "error", err.Error())
		return
	}
	if now {
		m.log.Warn("cloud job unknown to RunPod, settled at cost 0", "job_id", id, "remote_id", remoteID)
	}
}

// cancel asks RunPod to cancel ledger job j. A job still being submitted is
// cancelled as soon as RunPod gives it an id. The follower settles the row
// when RunPod reports the final state.
func (m *manager) cancel(ctx context.Context, j ledger.Job) error {
	t, err := m.target(j.Target)
	if err != nil {
		return err
	}
	m.mu.Lock()
	remoteID := j.RemoteID
	a := m.active[j.ID]
	switch {
	case a != nil && a.remoteID != "":
		remoteID = a.remoteID
	case remoteID == "" && a != nil:
		a.cancelRequested = true
	case remoteID == "":
		// Created but not yet registered by its submit: register it here.
		m.active[j.ID] = &activeJob{cancelRequested: true}
	}
	m.mu.Unlock()
	if remoteID == "" {
		return nil // cancelled right after submission
	}
	if _, err := t.client.Cancel(ctx, remoteID); err != nil {
		return fmt.Errorf("cancel %s on %s: %w", remoteID, t.cfg.Name, err)
	}
	m.log.Info("cloud job cancel sent", "job_id", j.ID, "remote_id", remoteID)
	return nil
}

func (m *manager) forget(id string) {
	m.mu.Lock()
	delete(m.active, id)
	m.mu.Unlock()
}

func (m *manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// close stops following jobs without cancelling them on RunPod; their rows
// stay in flight and are reconciled by the next start. It waits up to
// timeout for the followers to notice.
func (m *manager) close(timeout time.Duration) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	close(m.done)
	m.mu.Unlock()
	finished := make(chan struct{})
	go func() { m.wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(timeout):
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
