package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
)

// follow starts the goroutine that waits for remoteID to end and settles
// ledger job id. A pending cancel request is sent first.
func (m *Manager) follow(id, remoteID string, t *cloudTarget) {
	m.mu.Lock()
	a := m.active[id]
	if a == nil {
		a = &activeJob{}
		m.active[id] = a
	}
	if a.remoteID != "" {
		m.mu.Unlock()
		return // already followed
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
func (m *Manager) waitAndSettle(id, remoteID string, t *cloudTarget) {
	opts := m.waitOpts
	opts.OnUpdate = func(j runpod.Job) {
		m.heard(id)
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
			m.settleForgotten(id, remoteID, t)
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

// settleFromRemote settles ledger job id from RunPod's final report (a
// /status answer or a webhook): the cost is what RunPod bills, price per
// second × execution time, whatever the final state. The report's id is
// recorded when the row has none yet.
func (m *Manager) settleFromRemote(id string, t *cloudTarget, j runpod.Job) {
	m.heard(id)
	s := ledger.Settlement{
		Status: ledger.Status(j.Status), Queue: j.DelayTime, Execution: j.ExecutionTime,
		Cost: ledger.CostOf(t.cfg.PricePerSecondUSD, j.ExecutionTime), Error: j.Error, RemoteID: j.ID,
	}
	switch j.Status {
	case runpod.StatusCompleted:
		switch {
		case j.Output != nil && len(j.Output.Images) > 0:
			s.Image, s.Seed = j.Output.Images[0], j.Output.Seed
		case j.Output != nil && j.Output.ImageURL != "":
			s.Image, s.Seed = j.Output.ImageURL, j.Output.Seed
		default:
			s.Error = "the worker completed without an image"
		}
	case runpod.StatusTimedOut:
		s.Error = timedOutMessage(t, j)
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

// timedOutMessage says which timeout ended a TIMED_OUT job: the execution
// timeout when it ran that long, else the ttl.
func timedOutMessage(t *cloudTarget, j runpod.Job) string {
	limit := executionTimeout(t.cfg)
	if j.ExecutionTime > 0 && j.ExecutionTime+time.Second >= limit {
		return fmt.Sprintf("the job ran past its execution timeout of %s (policy.executionTimeout): billed for the time it ran", limit)
	}
	if j.Error != "" {
		return "the job timed out: " + j.Error
	}
	return fmt.Sprintf("the job did not finish within its ttl of %s (policy.ttl) or its execution timeout of %s: billed for the time it ran",
		ttl(t.cfg), limit)
}

// settleForgotten settles a job RunPod no longer knows (404: its ttl or
// result retention passed before we saw it end). It may have run, so it is
// charged at its estimate, marked estimated, never at 0.
func (m *Manager) settleForgotten(id, remoteID string, t *cloudTarget) {
	m.heard(id)
	job, err := m.ledger.Get(context.Background(), id)
	if err != nil {
		m.log.Error("ledger: read forgotten job", "job_id", id, "error", err.Error())
		return
	}
	_, now, err := m.ledger.Settle(context.Background(), id, ledger.Settlement{
		Status: ledger.StatusFailed, Cost: job.EstimatedCost, Estimated: true,
		Error: fmt.Sprintf("RunPod no longer knows this job (its ttl of %s or the result retention passed) and never reported "+
			"what it ran: charged at the estimate", ttl(t.cfg)),
	})
	if err != nil {
		m.log.Error("ledger: settle forgotten job", "job_id", id, "error", err.Error())
		return
	}
	if now {
		m.log.Warn("cloud job unknown to RunPod, settled at its estimate", "job_id", id, "remote_id", remoteID,
			"estimate_usd", job.EstimatedCost.USD())
	}
}

// Cancel asks RunPod to cancel ledger job j. A job still being submitted is
// cancelled as soon as RunPod gives it an id. The follower settles the row
// when RunPod reports the final state. An UNCONFIRMED job without a RunPod
// id is [ErrNotCancellable]; a cancel RunPod refused is a *[CancelError].
func (m *Manager) Cancel(ctx context.Context, j ledger.Job) error {
	t, err := m.target(j.Target)
	if err != nil {
		return err
	}
	m.mu.Lock()
	remoteID := j.RemoteID
	a := m.active[j.ID]
	if j.Status == ledger.StatusUnconfirmed && remoteID == "" && (a == nil || a.remoteID == "") {
		m.mu.Unlock()
		return ErrNotCancellable
	}
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
		return &CancelError{RemoteID: remoteID, Target: t.cfg.Name, Err: err}
	}
	m.log.Info("cloud job cancel sent", "job_id", j.ID, "remote_id", remoteID)
	return nil
}

func (m *Manager) forget(id string) {
	m.mu.Lock()
	delete(m.active, id)
	m.mu.Unlock()
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// Close stops following jobs without cancelling them on RunPod; their rows
// stay in flight and are reconciled by the next start. It waits up to
// timeout for the followers to notice.
func (m *Manager) Close(timeout time.Duration) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	close(m.done)
	for id, t := range m.timers {
		t.Stop()
		delete(m.timers, id)
	}
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
