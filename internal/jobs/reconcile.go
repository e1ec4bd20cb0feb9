package jobs

import (
	"context"
	"fmt"

	"hybridgen/internal/ledger"
)

// ReconcileReport counts what [Manager.Reconcile] did with the rows it found in
// flight.
type ReconcileReport struct {
	Following   int // have a RunPod id: followed again until they end
	Unconfirmed int // no RunPod id: UNCONFIRMED, waiting for the webhook or their ttl
	Skipped     int // their target is no longer configured: left in flight
}

// Reconcile takes over the cloud jobs a previous run left unsettled. It
// only reads the ledger and starts followers, so it returns at once whether
// RunPod answers or not; each job shows "reconciling" until something is
// heard of it.
//   - a row with a RunPod id is followed again: its first /status settles
//     it (final), resumes it (running) or, on 404 (RunPod forgot it), settles
//     it at its estimate, marked estimated;
//   - a row without one (SUBMITTING: the server died between writing the row
//     and RunPod's answer; or already UNCONFIRMED) is UNCONFIRMED: RunPod
//     may have created the job. It counts at its worst case until the
//     webhook reports it, or its ttl passes and it settles at its estimate.
//
// Rows whose target is no longer configured are left in flight and logged.
func (m *Manager) Reconcile(ctx context.Context) (ReconcileReport, error) {
	rows, err := m.ledger.Unsettled(ctx)
	if err != nil {
		return ReconcileReport{}, fmt.Errorf("jobs: reconcile: %w", err)
	}
	return m.reconcileRows(ctx, rows)
}

// reconcileRows takes over rows as [Manager.Reconcile] describes.
func (m *Manager) reconcileRows(ctx context.Context, rows []ledger.Job) (ReconcileReport, error) {
	var rep ReconcileReport
	for _, j := range rows {
		if j.Kind != ledger.KindCloud {
			continue
		}
		t, err := m.target(j.Target)
		if err != nil {
			rep.Skipped++
			m.log.Warn("reconcile: target not configured, job left in flight", "job_id", j.ID, "target", j.Target)
			continue
		}
		m.mu.Lock()
		m.reconciling[j.ID] = true
		m.mu.Unlock()
		if j.RemoteID != "" {
			m.follow(j.ID, j.RemoteID, t)
			rep.Following++
			continue
		}
		if j.Status.Submitting() {
			if _, err := m.ledger.MarkUnconfirmed(ctx, j.ID, unconfirmedNote(j)); err != nil {
				return rep, fmt.Errorf("jobs: reconcile %s: %w", j.ID, err)
			}
			m.log.Warn("reconcile: interrupted while submitting, job left unconfirmed", "job_id", j.ID)
		}
		m.watchUnconfirmed(j, t)
		rep.Unconfirmed++
	}
	m.log.Info("reconciling in-flight jobs", "instance", m.instance, "following", rep.Following, "unconfirmed", rep.Unconfirmed,
		"skipped", rep.Skipped)
	return rep, nil
}
