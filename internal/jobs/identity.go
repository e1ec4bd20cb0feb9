package jobs

// LocalIdentity is the one identity of requests without a token when
// tokens are not required (loopback).
const LocalIdentity = "local"

// Identity is who a request spends as: a bearer token's name, or
// [LocalIdentity]. The caller cannot choose it; a body's client_id is only
// a label.
type Identity struct {
	// Name keys the per-identity budgets and rate limit.
	Name string
	// DailyUSD and MonthlyUSD, when positive, replace the per-client
	// budgets for this identity.
	DailyUSD, MonthlyUSD float64
}

// budgets applies the identity's own caps over the per-client defaults.
func (id Identity) budgets(b Budgets) Budgets {
	if id.DailyUSD > 0 {
		b.ClientDailyUSD = id.DailyUSD
	}
	if id.MonthlyUSD > 0 {
		b.ClientMonthlyUSD = id.MonthlyUSD
	}
	return b
}
