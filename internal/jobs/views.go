package jobs

import (
	"context"
	"fmt"
	"time"

	"hybridgen/internal/ledger"
)

// JobView is the JSON shape of a job in every answer of /api/images and
// /api/drafts (and in the serve tests that read them).
type JobView struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`   // "cloud" or "local"
	Task    string `json:"task"`   // "generate", "upscale" or "remove-background"
	Status  string `json:"status"` // SUBMITTING, UNCONFIRMED, IN_QUEUE, IN_PROGRESS, COMPLETED, FAILED, CANCELLED, TIMED_OUT
	Settled bool   `json:"settled"`
	// Reconciling: the job was left in flight by a previous run of the
	// server and nothing has been heard of it since the restart.
	Reconciling bool `json:"reconciling,omitempty"`
	// Estimated: settled at its estimate because the cloud never reported
	// what it ran.
	Estimated        bool      `json:"estimated,omitempty"`
	Target           string    `json:"target"`
	Model            string    `json:"model"`
	Width            int       `json:"width"`
	Height           int       `json:"height"`
	Steps            int       `json:"steps"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	QueueSeconds     float64   `json:"queue_seconds"`
	ExecutionSeconds float64   `json:"execution_seconds"`
	CostUSD          float64   `json:"cost_usd"`
	EstimatedCostUSD float64   `json:"estimated_cost_usd"`
	// WorstCaseCostUSD is execution timeout × price: what an UNCONFIRMED
	// job counts against budgets.
	WorstCaseCostUSD float64 `json:"worst_case_cost_usd"`
	AvoidedCostUSD   float64 `json:"avoided_cost_usd"`
	Image            string  `json:"image,omitempty"` // data URI or URL, once COMPLETED
	Seed             *int64  `json:"seed,omitempty"`
	Error            string  `json:"error,omitempty"`
}

// ViewOf is j's view, without its image and reconciling mark (see
// [Manager.View]).
func ViewOf(j ledger.Job) JobView {
	return JobView{
		ID: j.ID, Kind: string(j.Kind), Task: string(j.Task), Status: string(j.Status), Settled: j.Settled,
		Target: j.Target, Model: j.Model, Width: j.Width, Height: j.Height, Steps: j.Steps,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt,
		QueueSeconds: j.Queue.Seconds(), ExecutionSeconds: j.Execution.Seconds(),
		CostUSD: j.Cost.USD(), EstimatedCostUSD: j.EstimatedCost.USD(), AvoidedCostUSD: j.AvoidedCost.USD(),
		WorstCaseCostUSD: j.WorstCaseCost.USD(), Estimated: j.Estimated, Error: j.Error,
	}
}

// View is j's view with its stored image and whether it is being
// reconciled.
func (m *Manager) View(ctx context.Context, j ledger.Job) (JobView, error) {
	v := ViewOf(j)
	v.Reconciling = !j.Settled && m.isReconciling(j.ID)
	if j.Status == ledger.StatusCompleted && j.Kind == ledger.KindCloud {
		img, seed, ok, err := m.ledger.Output(ctx, j.ID)
		if err != nil {
			return v, fmt.Errorf("jobs: read the output of %s: %w", j.ID, err)
		}
		if ok {
			v.Image, v.Seed = img, &seed
		}
	}
	return v, nil
}

// Usage is the usage report of the last days UTC days, today included.
func (m *Manager) Usage(ctx context.Context, days int) (UsageView, error) {
	since, until := UsageWindow(m.now(), days)
	u, err := m.ledger.Usage(ctx, since, until)
	if err != nil {
		return UsageView{}, fmt.Errorf("jobs: usage: %w", err)
	}
	return NewUsageView(u), nil
}

// UsageWindow is the window of the last days UTC days, today included.
func UsageWindow(now time.Time, days int) (since, until time.Time) {
	_, until = ledger.DayWindow(now)
	return until.AddDate(0, 0, -days), until
}

// UsageRowView is one row of [UsageView].
type UsageRowView struct {
	Key              string  `json:"key"` // target name, UTC day (YYYY-MM-DD) or "total"
	CloudJobs        int     `json:"cloud_jobs"`
	CloudFailed      int     `json:"cloud_failed"`
	InFlight         int     `json:"in_flight"` // UNCONFIRMED jobs aside
	LocalDrafts      int     `json:"local_drafts"`
	LocalUpscales    int     `json:"local_upscales"`
	LocalCutouts     int     `json:"local_background_removals"`
	ExecutionSeconds float64 `json:"execution_seconds"`
	CostUSD          float64 `json:"cost_usd"`           // settled cloud cost
	InFlightCostUSD  float64 `json:"in_flight_cost_usd"` // estimate of unsettled jobs
	AvoidedUSD       float64 `json:"avoided_usd"`        // cloud price of the local work
	AllCloudUSD      float64 `json:"all_cloud_usd"`      // cost_usd + avoided_usd
	SavingsUSD       float64 `json:"savings_usd"`        // = avoided_usd
	SavingsRatio     float64 `json:"savings_ratio"`      // savings / all-cloud, 0..1
	// Unconfirmed jobs may have run on the cloud without RunPod saying so;
	// UnconfirmedCostUSD is their worst case, counted against budgets
	// until they are reconciled. Not part of cost_usd.
	Unconfirmed        int     `json:"unconfirmed"`
	UnconfirmedCostUSD float64 `json:"unconfirmed_cost_usd"`
	// EstimatedJobs were settled at their estimate (the cloud never
	// reported them); EstimatedCostUSD is that part of cost_usd.
	EstimatedJobs    int     `json:"estimated_jobs"`
	EstimatedCostUSD float64 `json:"estimated_cost_usd"`
}

// UsageView is the JSON of GET /api/usage and `hybridgen usage -json`.
type UsageView struct {
	Since    time.Time      `json:"since"`
	Until    time.Time      `json:"until"`
	Total    UsageRowView   `json:"total"`
	ByTarget []UsageRowView `json:"by_target"`
	ByDay    []UsageRowView `json:"by_day"`
}

// NewUsageView turns a ledger report into its JSON shape.
func NewUsageView(u ledger.Usage) UsageView {
	v := UsageView{Since: u.Since, Until: u.Until, Total: usageRowView(u.Total),
		ByTarget: []UsageRowView{}, ByDay: []UsageRowView{}}
	for _, r := range u.ByTarget {
		v.ByTarget = append(v.ByTarget, usageRowView(r))
	}
	for _, r := range u.ByDay {
		v.ByDay = append(v.ByDay, usageRowView(r))
	}
	return v
}

func usageRowView(r ledger.UsageRow) UsageRowView {
	return UsageRowView{
		Key: r.Key, CloudJobs: r.CloudJobs, CloudFailed: r.CloudFailed, InFlight: r.InFlight,
		LocalDrafts: r.LocalDrafts, LocalUpscales: r.LocalUpscales, LocalCutouts: r.LocalCutouts, ExecutionSeconds: r.Execution.Seconds(),
		CostUSD: r.Cost.USD(), InFlightCostUSD: r.InFlightCost.USD(), AvoidedUSD: r.Avoided.USD(),
		AllCloudUSD: r.AllCloud().USD(), SavingsUSD: r.Avoided.USD(), SavingsRatio: r.SavingsRatio(),
		Unconfirmed: r.Unconfirmed, UnconfirmedCostUSD: r.UnconfirmedCost.USD(),
		EstimatedJobs: r.Estimated, EstimatedCostUSD: r.EstimatedCost.USD(),
	}
}
