package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
)

// SubmitTimeout bounds the POST /run of one job.
const SubmitTimeout = 60 * time.Second

func newJobID(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("jobs: crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	return prefix + hex.EncodeToString(b[:])
}

// Submit records the job (or finds the one recorded for the same identity,
// client and idempotency key), and for a new job checks the identity's rate
// limit and budgets, then submits it to RunPod and starts following it.
// Refusals happen before any RunPod call. A submission whose outcome is
// unknown leaves the row UNCONFIRMED and returns an *[UnconfirmedError]
// with it; one provably refused settles FAILED at cost 0 and returns a
// *[SubmitError]. The bool is false for a replay of the same key (with a
// different request: a *[ConflictError]).
func (m *Manager) Submit(ctx context.Context, req ImageRequest, who Identity) (ledger.Job, bool, error) {
	t, err := m.target(req.Target)
	if err != nil {
		return ledger.Job{}, false, err
	}
	estimate := ledger.CostOf(t.cfg.PricePerSecondUSD, t.cfg.Estimate(req.Width, req.Height, req.Steps))
	n := ledger.NewJob{
		ID: newJobID("img_"), Identity: who.Name, ClientID: req.ClientID, IdempotencyKey: req.IdempotencyKey,
		RequestHash: req.Hash(), Target: t.cfg.Name, Model: t.cfg.Model,
		Width: req.Width, Height: req.Height, Steps: req.Steps, Kind: ledger.KindCloud,
		Status: ledger.StatusSubmitting, EstimatedCost: estimate,
		WorstCaseCost:   max(estimate, ledger.CostOf(t.cfg.PricePerSecondUSD, executionTimeout(t.cfg))),
		Owner:           m.instance,
		AdmissionScopes: budgetScopes(who.budgets(m.budgets), who.Name),
	}
	job, created, err := m.ledger.CreateOrGetIf(ctx, n, func(ctx context.Context, q ledger.Querier) error {
		ok, wait, err := m.takeToken(ctx, q, who.Name)
		if err != nil {
			return err
		}
		if !ok {
			return &RateLimitError{RetryAfter: wait}
		}
		return checkBudgets(ctx, q, who.budgets(m.budgets), m.now(), who.Name, estimate)
	})
	if err != nil {
		return ledger.Job{}, false, err
	}
	if !created {
		if job.RequestHash != n.RequestHash {
			return job, false, &ConflictError{JobID: job.ID}
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
	bg := context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(bg, SubmitTimeout)
	defer cancel()
	remote, err := t.client.Run(sctx, m.inputFor(t, req, job.ID), runpod.RunOptions{
		Webhook: m.hooks.url(job.ID),
		Policy:  runpod.Policy{ExecutionTimeout: t.cfg.ExecutionTimeout(), TTL: t.cfg.TTL()},
	})
	if err == nil && remote.ID == "" {
		err = fmt.Errorf("runpod: run: %w: the answer has no job id", runpod.ErrMalformedResponse)
	}
	if err != nil {
		return m.submitFailed(bg, job, t, err)
	}
	status := ledger.Status(remote.Status)
	if status.Final() || status == "" {
		status = ledger.StatusInQueue // the follower settles it on its first poll
	}
	if err := m.ledger.MarkSubmitted(bg, job.ID, remote.ID, status); err != nil {
		m.log.Error("ledger: mark submitted", "job_id", job.ID, "remote_id", remote.ID, "error", err.Error())
	}
	job.RemoteID, job.Status = remote.ID, status
	m.log.Info("cloud job submitted", "job_id", job.ID, "remote_id", remote.ID, "target", t.cfg.Name,
		"identity", who.Name, "client_id", req.ClientID)
	m.follow(job.ID, remote.ID, t)
	return job, true, nil
}

// submitFailed records a failed /run. When the request may have reached
// RunPod the row becomes UNCONFIRMED (worst case against budgets, never
// retried, reconciled by the webhook or settled at the estimate after the
// ttl); when it provably did not, the row settles FAILED at cost 0.
func (m *Manager) submitFailed(ctx context.Context, job ledger.Job, t *cloudTarget, err error) (ledger.Job, bool, error) {
	m.forget(job.ID)
	if submitUncertain(err) {
		m.log.Warn("cloud submit outcome unknown: job left unconfirmed", "job_id", job.ID, "target", t.cfg.Name, "error", err.Error())
		changed, lerr := m.ledger.MarkUnconfirmed(ctx, job.ID, unconfirmedNote(job))
		if lerr != nil {
			return job, true, errors.Join(err, lerr)
		}
		if changed { // else the webhook settled it already
			m.watchUnconfirmed(job, t)
		}
		row, lerr := m.ledger.Get(ctx, job.ID)
		if lerr != nil {
			return job, true, errors.Join(err, lerr)
		}
		return row, true, &UnconfirmedError{Job: row, Err: err}
	}
	m.log.Warn("cloud submit refused", "job_id", job.ID, "target", t.cfg.Name, "error", err.Error())
	settled, _, serr := m.ledger.Settle(ctx, job.ID, ledger.Settlement{
		Status: ledger.StatusFailed, Error: "the cloud target refused the job: " + UserReason(err) + ": not charged"})
	if serr != nil {
		return job, true, errors.Join(err, serr)
	}
	return settled, true, &SubmitError{Job: settled, Err: err}
}

// submitUncertain reports whether a failed /run may still have created a
// job on RunPod: the client says so (the request was written, no answer
// came), the answer was not RunPod's JSON, or the server answered a 5xx
// other than 503 (it may have accepted the job before failing). Only
// refusals (4xx, 503) and failed dials prove nothing was created.
func submitUncertain(err error) bool {
	if errors.Is(err, runpod.ErrSubmitUncertain) || errors.Is(err, runpod.ErrMalformedResponse) {
		return true
	}
	var apiErr *runpod.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 && apiErr.StatusCode != 503
	}
	return false
}

// inputFor is the worker input of req; with the target's input_job_id the
// ledger id travels in it too, as a correlation id.
func (m *Manager) inputFor(t *cloudTarget, req ImageRequest, jobID string) runpod.SDXLInput {
	in := toSDXLInput(req)
	if t.cfg.InputJobID {
		in.CorrelationID = jobID
	}
	return in
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
