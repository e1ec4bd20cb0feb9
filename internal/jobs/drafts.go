package jobs

import (
	"context"
	"fmt"
	"time"

	"hybridgen/internal/ledger"
)

// RecordDraft records a draft rendered in the browser: cost 0, and the
// avoided cost of the same work on the cloud target (the default one unless
// the draft names another). A draft avoids the image at the default step
// count; an edit (upscale, background removal) one step's worth of the
// target's time at the output size, at least its one-second minimum: the
// GPU time a comparable image-to-image network takes there. With no cloud
// target configured nothing is avoided. A draft made offline and
// reported later is dated by its MadeAt, which must lie within
// [MaxDraftAge] back and [MaxClockSkew] ahead: else a *[MadeAtError], and
// nothing is recorded. The bool is false for a replay of the same key; a
// key reused for another request is a *[ConflictError]; a target that is
// not configured matches [ErrUnknownTarget].
func (m *Manager) RecordDraft(ctx context.Context, d DraftRequest, who Identity) (ledger.Job, bool, error) {
	if err := checkMadeAt(d.MadeAt, m.now()); err != nil {
		return ledger.Job{}, false, err
	}
	var avoided ledger.Micros
	if m.CloudConfigured() || d.Target != "" {
		t, err := m.target(d.Target)
		if err != nil {
			return ledger.Job{}, false, err
		}
		avoided = ledger.CostOf(t.cfg.PricePerSecondUSD, t.cfg.Estimate(d.Width, d.Height, avoidedSteps(d.Task)))
	}
	hash := d.Hash()
	job, created, err := m.ledger.CreateOrGet(ctx, ledger.NewJob{
		ID: newJobID("drf_"), Identity: who.Name, ClientID: d.ClientID, IdempotencyKey: d.IdempotencyKey,
		RequestHash: hash, Target: "local", Model: d.Model,
		Width: d.Width, Height: d.Height, Steps: d.Steps, Kind: ledger.KindLocal, Task: d.Task,
		Status: ledger.StatusCompleted, AvoidedCost: avoided, CreatedAt: d.MadeAt,
	})
	if err != nil {
		return job, false, fmt.Errorf("jobs: record draft: %w", err)
	}
	if !created && (job.Kind != ledger.KindLocal || job.RequestHash != hash) {
		return job, false, &ConflictError{}
	}
	return job, created, nil
}

// avoidedSteps is the step count a local job's avoided cost is priced at.
func avoidedSteps(task ledger.Task) int {
	if task == ledger.TaskGenerate || task == "" {
		return DefaultSteps
	}
	return 1
}

// checkMadeAt refuses a made_at outside [now-MaxDraftAge, now+MaxClockSkew]
// with a *[MadeAtError]; a zero made_at (none sent: now) passes.
func checkMadeAt(madeAt, now time.Time) error {
	switch {
	case madeAt.IsZero():
		return nil
	case madeAt.After(now.Add(MaxClockSkew)):
		return &MadeAtError{MadeAt: madeAt, Future: true}
	case madeAt.Before(now.Add(-MaxDraftAge)):
		return &MadeAtError{MadeAt: madeAt}
	}
	return nil
}
