package api

import (
	"context"
	"errors"
	"fmt"

	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
)

// ReconcileReport counts what [API.Reconcile] did with the rows it found in
// flight.
type ReconcileReport struct {
	Settled   int // final on RunPod: settled from its report
	Unknown   int // unknown to RunPod (404): settled FAILED at cost 0
	Orphaned  int // never got a RunPod id: settled FAILED at cost 0
	Following int // still running: followed again until they end
	Skipped   int // their target is no longer configured: left in flight
}

// Reconcile settles or resumes the cloud jobs a previous run left in flight
// (PENDING, IN_QUEUE, IN_PROGRESS). It asks RunPod for each job's /status:
//   - final: settled from RunPod's report (cost = price × execution time);
//   - unknown to RunPod (404: ttl or retention expired): settled FAILED, cost 0,
//     with a note;
//   - still queued or running: followed again, as if never interrupted;
//   - no RunPod id (the server died while submitting): settled FAILED,
//     cost 0, with a note, since the job cannot be found;
//   - status unavailable (network): followed again, retrying.
//
// Rows whose target is no longer configured are left in flight and logged.
func (a *API) Reconcile(ctx context.Context) (ReconcileReport, error) {
	var rep ReconcileReport
	rows, err := a.ledger.Unsettled(ctx)
	if err != nil {
		return rep, fmt.Errorf("api: reconcile: %w", err)
	}
	m := a.jobs
	for _, j := range rows {
		if j.Kind != ledger.KindCloud {
			continue
		}
		t, err := m.target(j.Target)
		if err != nil {
			rep.Skipped++
			a.log.Warn("reconcile: target not configured, job left in flight", "job_id", j.ID, "target", j.Target)
			continue
		}
		if j.RemoteID == "" {
			if _, _, err := a.ledger.Settle(ctx, j.ID, ledger.Settlement{Status: ledger.StatusFailed,
				Error: "interrupted before RunPod accepted the job: settled at cost 0"}); err != nil {
				return rep, fmt.Errorf("api: reconcile %s: %w", j.ID, err)
			}
			rep.Orphaned++
			a.log.Warn("reconcile: job never reached RunPod, settled at cost 0", "job_id", j.ID)
			continue
		}
		remote, err := t.client.Status(ctx, j.RemoteID)
		switch {
		case err == nil && remote.Status.Final():
			m.settleFromRemote(j.ID, t, remote)
			rep.Settled++
		case errors.Is(err, runpod.ErrNotFound):
			m.settleUnknown(j.ID, j.RemoteID)
			rep.Unknown++
		default:
			if err != nil {
				a.log.Warn("reconcile: status unavailable, following", "job_id", j.ID, "error", err.Error())
			} else if !remote.Status.Final() {
				_ = a.ledger.Progress(ctx, j.ID, ledger.Status(remote.Status), remote.DelayTime, remote.ExecutionTime)
			}
			m.follow(j.ID, j.RemoteID, t)
			rep.Following++
		}
	}
	a.log.Info("reconciled in-flight jobs", "settled", rep.Settled, "unknown", rep.Unknown,
		"orphaned", rep.Orphaned, "following", rep.Following, "skipped", rep.Skipped)
	return rep, nil
}
