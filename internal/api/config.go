package api

import (
	"net/http"

	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
)

// ConfigView is the JSON of GET /api/config: what the browser needs to
// route renders. It never holds a key, a base URL or an endpoint id.
type ConfigView struct {
	Cloud   CloudView             `json:"cloud"`
	Targets map[string]TargetView `json:"targets"`
	Limits  LimitsView            `json:"limits"`
	Auth    AuthView              `json:"auth"`
	Budgets BudgetsView           `json:"budgets"`
	Models  ModelsView            `json:"models"`
}

// ModelsView says which model the app opens when the page names none.
type ModelsView struct {
	// Default is a model id the mirror holds ("sd-turbo", or the built-in
	// demo model when SD-Turbo has not been pulled); empty when the server
	// mirrors no model.
	Default string `json:"default"`
	// Demo is true when Default is the built-in demo model (random
	// weights): the app then says how to get real ones.
	Demo bool `json:"demo"`
}

// CloudView says whether High Quality can go to the cloud.
type CloudView struct {
	Configured    bool   `json:"configured"`
	DefaultTarget string `json:"default_target,omitempty"`
	// Message explains what the app does when no target is configured.
	Message string `json:"message,omitempty"`
}

// TargetView is a target's public description.
type TargetView struct {
	Model             string  `json:"model"`
	PricePerSecondUSD float64 `json:"price_per_second_usd"`
	// EstimatedCostUSD is the estimate for a 1024x1024, 25-step image.
	EstimatedCostUSD float64 `json:"estimated_cost_usd"`
}

// LimitsView repeats the request bounds for client-side validation.
type LimitsView struct {
	MaxPromptChars int `json:"max_prompt_chars"`
	MinSide        int `json:"min_side"`
	MaxSide        int `json:"max_side"`
	// DefaultSide is the side a render gets when its request names none:
	// the cloud model's native size, which the browser scales High
	// Quality renders up to.
	DefaultSide       int     `json:"default_side"`
	SideMultiple      int     `json:"side_multiple"`
	MinSteps          int     `json:"min_steps"`
	MaxSteps          int     `json:"max_steps"`
	MaxGuidance       float64 `json:"max_guidance"`
	MaxInitImageBytes int     `json:"max_init_image_bytes"`
	MaxBodyBytes      int     `json:"max_body_bytes"`
	// MaxAssetBytes is the largest image PUT /api/assets/ takes; 0 when
	// the server keeps no assets.
	MaxAssetBytes int64 `json:"max_asset_bytes"`
}

// AuthView says whether renders need a bearer token.
type AuthView struct {
	TokenRequired bool `json:"token_required"`
}

// BudgetsView lists the spend caps in USD (0: none).
type BudgetsView struct {
	ClientDailyUSD   float64 `json:"client_daily_usd"`
	ClientMonthlyUSD float64 `json:"client_monthly_usd"`
	GlobalDailyUSD   float64 `json:"global_daily_usd"`
	GlobalMonthlyUSD float64 `json:"global_monthly_usd"`
}

// handleConfig answers GET /api/config.
func (a *API) handleConfig(http.ResponseWriter, *http.Request) (int, any, error) {
	v := ConfigView{
		Targets: map[string]TargetView{},
		Limits: LimitsView{
			MaxPromptChars: jobs.MaxPromptRunes, MinSide: jobs.MinSide, MaxSide: jobs.MaxSide, DefaultSide: jobs.DefaultSide,
			SideMultiple: jobs.SideMultiple, MinSteps: jobs.MinSteps, MaxSteps: jobs.MaxSteps,
			MaxGuidance: jobs.MaxGuidance, MaxInitImageBytes: jobs.MaxInitImageBytes, MaxBodyBytes: jobs.MaxImageBodyBytes,
		},
		Auth:    AuthView{TokenRequired: a.tokens.require},
		Budgets: BudgetsView(a.jobs.Budgets()),
		Models:  a.models,
	}
	cloud := a.jobs.Targets()
	if a.jobs.CloudConfigured() {
		v.Cloud = CloudView{Configured: true, DefaultTarget: cloud.Default}
	} else {
		v.Cloud = CloudView{Configured: false,
			Message: "no cloud target is configured: High Quality renders run locally, at higher settings"}
	}
	for _, t := range cloud.Targets {
		v.Targets[t.Name] = TargetView{
			Model: t.Model, PricePerSecondUSD: t.PricePerSecondUSD,
			EstimatedCostUSD: ledger.CostOf(t.PricePerSecondUSD, t.Estimate(jobs.DefaultSide, jobs.DefaultSide, jobs.DefaultSteps)).USD(),
		}
	}
	if a.assets != nil {
		v.Limits.MaxAssetBytes = a.assets.MaxBytes()
	}
	return http.StatusOK, v, nil
}
