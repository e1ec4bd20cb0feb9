package jobs

import (
	"context"
	"fmt"

	"hybridgen/internal/ledger"
)

// RecordDraft records a draft rendered in the browser: cost 0, and the
// avoided cost of the same image rendered by the cloud target (the default
// one unless the draft names another) at its default step count. With no
// cloud target configured nothing is avoided. The bool is false for a
// replay of the same key; a key reused for another request is a
// *[ConflictError]; a target that is not configured matches
// [ErrUnknownTarget].
func (m *Manager) RecordDraft(ctx context.Context, d DraftRequest, who Identity) (ledger.Job, bool, error) {
	var avoided ledger.Micros
	if m.CloudConfigured() || d.Target != "" {
		t, err := m.target(d.Target)
		if err != nil {
			return ledger.Job{}, false, err
		}
		avoided = ledger.CostOf(t.cfg.PricePerSecondUSD, t.cfg.Estimate(d.Width, d.Height, DefaultSteps))
	}
	hash := d.Hash()
	job, created, err := m.ledger.CreateOrGet(ctx, ledger.NewJob{
		ID: newJobID("drf_"), Identity: who.Name, ClientID: d.ClientID, IdempotencyKey: d.IdempotencyKey,
		RequestHash: hash, Target: "local", Model: d.Model,
		Width: d.Width, Height: d.Height, Steps: d.Steps, Kind: ledger.KindLocal,
		Status: ledger.StatusCompleted, AvoidedCost: avoided,
	})
	if err != nil {
		return job, false, fmt.Errorf("jobs: record draft: %w", err)
	}
	if !created && (job.Kind != ledger.KindLocal || job.RequestHash != hash) {
		return job, false, &ConflictError{}
	}
	return job, created, nil
}
