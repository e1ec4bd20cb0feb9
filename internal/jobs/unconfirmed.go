package jobs

import (
	"context"
	"fmt"
	"time"

	"hybridgen/internal/ledger"
	"hybridgen/internal/targets"
)

// RunPod's defaults, used when a target leaves the policy unset.
const (
	runpodDefaultExecutionTimeout = 600 * time.Second
	runpodDefaultTTL              = 24 * time.Hour
)

func executionTimeout(t targets.Target) time.Duration {
	if d := t.ExecutionTimeout(); d > 0 {
		return d
	}
	return runpodDefaultExecutionTimeout
}

func ttl(t targets.Target) time.Duration {
	if d := t.TTL(); d > 0 {
		return d
	}
	return runpodDefaultTTL
}

// unconfirmedNote is what the user reads on an UNCONFIRMED job.
func unconfirmedNote(j ledger.Job) string {
	return fmt.Sprintf("the cloud may have run this job: its submission got no answer. It is not retried automatically "+
		"(that could run and charge it twice) and counts at its worst case, %s, until RunPod reports it", j.WorstCaseCost)
}

// watchUnconfirmed arranges for an UNCONFIRMED job with no RunPod id to be
// settled at its estimate, marked estimated, once its ttl has passed with
// no news: after the ttl RunPod has forgotten the job, so nothing can
// report it any more. The webhook, when it comes first, settles it instead
// (the later estimate then changes nothing).
func (m *Manager) watchUnconfirmed(j ledger.Job, t *cloudTarget) {
	wait := time.Until(j.CreatedAt.Add(ttl(t.cfg)))
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.timers[j.ID] != nil {
		return
	}
	m.timers[j.ID] = time.AfterFunc(max(wait, 0), func() {
		m.mu.Lock()
		delete(m.timers, j.ID)
		m.mu.Unlock()
		m.settleEstimated(j.ID, t)
	})
}

// settleEstimated settles an UNCONFIRMED job nobody reported at its
// estimate, marked estimated.
func (m *Manager) settleEstimated(id string, t *cloudTarget) {
	m.heard(id)
	ctx := context.Background()
	job, err := m.ledger.Get(ctx, id)
	if err != nil {
		m.log.Error("ledger: read unconfirmed job", "job_id", id, "error", err.Error())
		return
	}
	_, now, err := m.ledger.Settle(ctx, id, ledger.Settlement{
		Status: ledger.StatusFailed, Cost: job.EstimatedCost, Estimated: true,
		Error: fmt.Sprintf("RunPod never reported this job within its ttl of %s: charged at the estimate, %s, "+
			"since the cloud may have run it", ttl(t.cfg), job.EstimatedCost),
	})
	if err != nil {
		m.log.Error("ledger: settle unconfirmed job", "job_id", id, "error", err.Error())
		return
	}
	if now {
		m.log.Warn("unconfirmed job settled at its estimate", "job_id", id, "estimate_usd", job.EstimatedCost.USD())
	}
}

// heard clears the reconciling mark of job id and stops its
// settle-at-estimate timer: something about it came back (a status, a
// webhook, a settlement).
func (m *Manager) heard(id string) {
	m.mu.Lock()
	delete(m.reconciling, id)
	if t := m.timers[id]; t != nil {
		t.Stop()
		delete(m.timers, id)
	}
	m.mu.Unlock()
}

// isReconciling reports whether job id was left in flight by a previous run
// and nothing has been heard of it since.
func (m *Manager) isReconciling(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reconciling[id]
}
