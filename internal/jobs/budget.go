package jobs

import (
	"context"
	"fmt"
	"time"

	"hybridgen/internal/ledger"
)

// Budgets are spend caps in USD; zero means no cap. A cloud render is refused
// (HTTP 402) when the money already committed in the window (settled cost
// plus the estimated cost of in-flight jobs) plus the new job's estimate
// would pass a cap. Windows are the UTC day and the UTC calendar month.
type Budgets struct {
	ClientDailyUSD   float64
	ClientMonthlyUSD float64
	GlobalDailyUSD   float64
	GlobalMonthlyUSD float64
}

// checkBudgets runs inside the ledger transaction that creates the job.
func checkBudgets(ctx context.Context, q ledger.Querier, b Budgets, now time.Time, client string, estimate ledger.Micros) error {
	dayFrom, dayTo := ledger.DayWindow(now)
	monFrom, monTo := ledger.MonthWindow(now)
	checks := []struct {
		scope    string
		capUSD   float64
		client   string
		from, to time.Time
	}{
		{"client daily", b.ClientDailyUSD, client, dayFrom, dayTo},
		{"client monthly", b.ClientMonthlyUSD, client, monFrom, monTo},
		{"global daily", b.GlobalDailyUSD, "", dayFrom, dayTo},
		{"global monthly", b.GlobalMonthlyUSD, "", monFrom, monTo},
	}
	for _, c := range checks {
		if c.capUSD <= 0 {
			continue
		}
		spent, err := q.Spend(ctx, c.client, c.from, c.to)
		if err != nil {
			return fmt.Errorf("budget %s: %w", c.scope, err)
		}
		capM := ledger.FromUSD(c.capUSD)
		if spent+estimate > capM {
			return &BudgetError{Scope: c.scope, Cap: capM, Spent: spent, Estimate: estimate}
		}
	}
	return nil
}

// budgetScopes names the budgets an admission under b reads, for the
// ledger to serialise admissions per scope across servers: "global" when
// a global cap is set, "identity:"+name when a per-identity one is; none
// when no cap is (then nothing need be serialised).
func budgetScopes(b Budgets, identity string) []string {
	scopes := []string{}
	if b.GlobalDailyUSD > 0 || b.GlobalMonthlyUSD > 0 {
		scopes = append(scopes, "global")
	}
	if b.ClientDailyUSD > 0 || b.ClientMonthlyUSD > 0 {
		scopes = append(scopes, "identity:"+identity)
	}
	return scopes
}
