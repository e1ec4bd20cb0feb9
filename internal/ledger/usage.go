package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Querier reads the ledger inside a transaction started by
// [Ledger.CreateOrGetIf], so an admission check sees exactly what the insert
// that follows it will be added to.
type Querier interface {
	// Spend sums the money committed in [since, until) by the cloud jobs
	// created in that window: the settled cost of settled jobs, the worst
	// case (execution timeout x price) of UNCONFIRMED ones and the estimated
	// cost of the other unsettled ones. identity "" sums over everyone.
	Spend(ctx context.Context, identity string, since, until time.Time) (Micros, error)
	// TakeToken spends a token of the shared bucket key (see
	// [Ledger.TakeToken]); rolled back with the admission it guarded.
	TakeToken(ctx context.Context, key string, burst int, perSecond float64) (ok bool, retryAfter time.Duration, err error)
}

// sqlQuerier is [Querier] over a transaction.
type sqlQuerier struct {
	q conn
	l *Ledger
}

// Spend implements [Querier].
func (q sqlQuerier) Spend(ctx context.Context, identity string, since, until time.Time) (Micros, error) {
	return spend(ctx, q.q, identity, since, until)
}

// Spend is [Querier.Spend] outside a transaction.
func (l *Ledger) Spend(ctx context.Context, identity string, since, until time.Time) (Micros, error) {
	return spend(ctx, l.q, identity, since, until)
}

// committedCost is what one cloud row commits, in SQL.
const committedCost = `CASE WHEN settled = 1 THEN cost_micros
	WHEN status = 'UNCONFIRMED' AND worst_case_cost_micros > estimated_cost_micros THEN worst_case_cost_micros
	ELSE estimated_cost_micros END`

func spend(ctx context.Context, q queryer, identity string, since, until time.Time) (Micros, error) {
	query := `SELECT COALESCE(SUM(` + committedCost + `), 0)
		FROM jobs WHERE kind = 'cloud' AND created_at >= ? AND created_at < ?`
	args := []any{since.UnixMilli(), until.UnixMilli()}
	if identity != "" {
		query += ` AND identity = ?`
		args = append(args, identity)
	}
	var m Micros
	if err := q.QueryRowContext(ctx, query, args...).Scan(&m); err != nil {
		return 0, fmt.Errorf("ledger: spend: %w", err)
	}
	return m, nil
}

// UsageRow is one line of a usage report: a target, a day, or the total.
type UsageRow struct {
	// Key is the target name, the UTC day (YYYY-MM-DD), or "total".
	Key         string
	CloudJobs   int // cloud jobs, any status
	CloudFailed int // settled cloud jobs that did not complete
	InFlight    int // cloud jobs not yet settled, UNCONFIRMED ones aside
	LocalDrafts int // images generated on the device
	// LocalUpscales and LocalCutouts count the device's edits of images
	// (tasks upscale and remove-background); their avoided cost is in Avoided.
	LocalUpscales int
	LocalCutouts  int
	Execution     time.Duration // billed cloud execution time
	Cost          Micros        // settled cloud cost (estimated settlements included)
	InFlightCost  Micros        // estimated cost of the in-flight cloud jobs
	Avoided       Micros        // what the local work would have cost in the cloud
	// Unconfirmed counts jobs whose submission may have reached the cloud
	// without an answer; UnconfirmedCost is their worst case, counted
	// against budgets until they are reconciled.
	Unconfirmed     int
	UnconfirmedCost Micros
	// Estimated counts settled jobs the cloud never reported, charged at
	// their estimate; EstimatedCost is that part of Cost.
	Estimated     int
	EstimatedCost Micros
}

// AllCloud is what the same work would have cost had every draft also been
// rendered in the cloud: settled cost plus avoided cost.
func (r UsageRow) AllCloud() Micros { return r.Cost + r.Avoided }

// SavingsRatio is the share of the all-cloud cost that local drafts saved,
// between 0 and 1 (0 when nothing was spent or avoided).
func (r UsageRow) SavingsRatio() float64 {
	if r.AllCloud() <= 0 {
		return 0
	}
	return float64(r.Avoided) / float64(r.AllCloud())
}

// Usage is a report over the jobs created in [Since, Until).
type Usage struct {
	Since, Until time.Time
	Total        UsageRow
	ByTarget     []UsageRow // ordered by target name
	ByDay        []UsageRow // ordered by day, UTC
}

const usageSums = `COUNT(CASE WHEN kind = 'cloud' THEN 1 END),
	COUNT(CASE WHEN kind = 'cloud' AND settled = 1 AND status != 'COMPLETED' THEN 1 END),
	COUNT(CASE WHEN kind = 'cloud' AND settled = 0 AND status != 'UNCONFIRMED' THEN 1 END),
	COUNT(CASE WHEN kind = 'local' AND task = 'generate' THEN 1 END),
	COUNT(CASE WHEN kind = 'local' AND task = 'upscale' THEN 1 END),
	COUNT(CASE WHEN kind = 'local' AND task = 'remove-background' THEN 1 END),
	COALESCE(SUM(CASE WHEN kind = 'cloud' AND settled = 1 THEN execution_ms END), 0),
	COALESCE(SUM(CASE WHEN kind = 'cloud' AND settled = 1 THEN cost_micros END), 0),
	COALESCE(SUM(CASE WHEN kind = 'cloud' AND settled = 0 AND status != 'UNCONFIRMED' THEN estimated_cost_micros END), 0),
	COALESCE(SUM(CASE WHEN kind = 'local' THEN avoided_cost_micros END), 0),
	COUNT(CASE WHEN kind = 'cloud' AND settled = 0 AND status = 'UNCONFIRMED' THEN 1 END),
	COALESCE(SUM(CASE WHEN kind = 'cloud' AND settled = 0 AND status = 'UNCONFIRMED' THEN ` + committedCost + ` END), 0),
	COUNT(CASE WHEN kind = 'cloud' AND settled = 1 AND estimated = 1 THEN 1 END),
	COALESCE(SUM(CASE WHEN kind = 'cloud' AND settled = 1 AND estimated = 1 THEN cost_micros END), 0)`

// Usage reports totals per target, per UTC day and overall for the jobs
// created in [since, until).
func (l *Ledger) Usage(ctx context.Context, since, until time.Time) (Usage, error) {
	u := Usage{Since: since.UTC(), Until: until.UTC()}
	args := []any{since.UnixMilli(), until.UnixMilli()}
	where := ` FROM jobs WHERE created_at >= ? AND created_at < ?`
	total, err := l.usageRows(ctx, `SELECT 'total', `+usageSums+where, args)
	if err != nil {
		return Usage{}, err
	}
	u.Total = total[0]
	if u.ByTarget, err = l.usageRows(ctx, `SELECT target, `+usageSums+where+
		` GROUP BY target ORDER BY target`, args); err != nil {
		return Usage{}, err
	}
	if u.ByDay, err = l.usageRows(ctx, `SELECT `+l.d.dayExpr+` AS day, `+
		usageSums+where+` GROUP BY day ORDER BY day`, args); err != nil {
		return Usage{}, err
	}
	return u, nil
}

func (l *Ledger) usageRows(ctx context.Context, query string, args []any) ([]UsageRow, error) {
	rows, err := l.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: usage: %w", err)
	}
	defer rows.Close()
	var out []UsageRow
	for rows.Next() {
		var r UsageRow
		var key sql.NullString
		var execMS int64
		if err := rows.Scan(&key, &r.CloudJobs, &r.CloudFailed, &r.InFlight, &r.LocalDrafts, &r.LocalUpscales, &r.LocalCutouts,
			&execMS, &r.Cost, &r.InFlightCost, &r.Avoided,
			&r.Unconfirmed, &r.UnconfirmedCost, &r.Estimated, &r.EstimatedCost); err != nil {
			return nil, fmt.Errorf("ledger: usage: %w", err)
		}
		r.Key = key.String
		r.Execution = time.Duration(execMS) * time.Millisecond
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: usage: %w", err)
	}
	return out, nil
}

// DayWindow is the UTC day containing t: [midnight, next midnight).
func DayWindow(t time.Time) (since, until time.Time) {
	t = t.UTC()
	since = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return since, since.AddDate(0, 0, 1)
}

// MonthWindow is the UTC calendar month containing t.
func MonthWindow(t time.Time) (since, until time.Time) {
	t = t.UTC()
	since = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return since, since.AddDate(0, 1, 0)
}
