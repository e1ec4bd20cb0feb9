package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// ServerLease is the name of the lease a live server renews: "server:" and
// its instance id. [Ledger.ClaimOrphans] takes over the jobs of a server
// whose lease has expired.
func ServerLease(instance string) string { return "server:" + instance }

// ReconcilerLease is the lease held by the one server that reconciles the
// jobs of dead servers.
const ReconcilerLease = "reconciler"

// Lease takes the lease called name for holder until now+ttl, or renews it
// when holder has it already. It reports false, changing nothing, while
// another holder's lease has not expired: a lease another server stops
// renewing (it died) is taken over once it expires.
func (l *Ledger) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := l.nowMillis()
	res, err := l.exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		name, holder, now+ttl.Milliseconds(), now)
	if err != nil {
		return false, fmt.Errorf("ledger: lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("ledger: lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Release gives up holder's lease called name (a clean shutdown), so another
// server need not wait for it to expire.
func (l *Ledger) Release(ctx context.Context, name, holder string) error {
	if _, err := l.exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("ledger: release %s: %w", name, err)
	}
	return nil
}

// ClaimOrphans makes self the owner of the unsettled cloud jobs whose owner
// is another server without a live [ServerLease] (it died, or the rows
// predate owners) and returns them, oldest first: the caller reconciles
// them. A job is claimed by one server only.
func (l *Ledger) ClaimOrphans(ctx context.Context, self string) ([]Job, error) {
	now := l.nowMillis()
	rows, err := l.writeQuery(ctx, lockKeyClaims, `UPDATE jobs SET owner = ?, updated_at = ?
		WHERE settled = 0 AND kind = 'cloud' AND owner != ?
		AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.name = 'server:' || jobs.owner AND leases.expires_at > ?)
		RETURNING `+jobColumns, self, now, self, now)
	if err != nil {
		return nil, fmt.Errorf("ledger: claim orphans: %w", err)
	}
	sort.Slice(rows, func(i, k int) bool {
		if !rows[i].CreatedAt.Equal(rows[k].CreatedAt) {
			return rows[i].CreatedAt.Before(rows[k].CreatedAt)
		}
		return rows[i].ID < rows[k].ID
	})
	return rows, nil
}

// writeQuery runs a write that returns job rows (RETURNING) in a write
// transaction, after taking the advisory lock key on PostgreSQL: its
// statement then starts from a snapshot that holds every earlier claim (a
// blocked UPDATE would otherwise recheck only the row, not the lease it
// joined).
func (l *Ledger) writeQuery(ctx context.Context, key int64, query string, args ...any) ([]Job, error) {
	var jobs []Job
	err := l.tx(ctx, func(tx conn) error {
		if err := l.advisoryLock(ctx, tx, key); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	return jobs, err
}

// TakeToken spends one token of the bucket called key (burst tokens,
// refilled at perSecond) shared by every server on the ledger. When the
// bucket is empty it reports false and how long until a token is back.
func (l *Ledger) TakeToken(ctx context.Context, key string, burst int, perSecond float64) (ok bool, retryAfter time.Duration, err error) {
	err = l.tx(ctx, func(tx conn) error {
		var e error
		ok, retryAfter, e = sqlQuerier{q: tx, l: l}.TakeToken(ctx, key, burst, perSecond)
		return e
	})
	return ok, retryAfter, err
}

// TakeToken implements [Querier]: in a transaction of [Ledger.CreateOrGetIf],
// a token spent for an admission that is then refused is given back.
func (q sqlQuerier) TakeToken(ctx context.Context, key string, burst int, perSecond float64) (ok bool, retryAfter time.Duration, err error) {
	if perSecond <= 0 {
		return true, 0, nil
	}
	now := q.l.nowMillis()
	if _, err := q.q.ExecContext(ctx, `INSERT INTO rate_buckets (key, tokens, last_ms) VALUES (?, ?, ?)
		ON CONFLICT (key) DO NOTHING`, key, float64(burst), now); err != nil {
		return false, 0, fmt.Errorf("ledger: rate bucket %s: %w", key, err)
	}
	var tokens float64
	var last int64
	sel := `SELECT tokens, last_ms FROM rate_buckets WHERE key = ?`
	if q.l.d.postgres {
		sel += ` FOR UPDATE`
	}
	if err := q.q.QueryRowContext(ctx, sel, key).Scan(&tokens, &last); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = errors.New("bucket vanished")
		}
		return false, 0, fmt.Errorf("ledger: rate bucket %s: %w", key, err)
	}
	elapsed := math.Max(0, float64(now-last)/1000)
	tokens = math.Min(float64(burst), tokens+elapsed*perSecond)
	if tokens >= 1 {
		ok, tokens = true, tokens-1
	} else {
		retryAfter = time.Duration((1 - tokens) / perSecond * float64(time.Second))
	}
	if _, err := q.q.ExecContext(ctx, `UPDATE rate_buckets SET tokens = ?, last_ms = ? WHERE key = ?`,
		tokens, max(now, last), key); err != nil {
		return false, 0, fmt.Errorf("ledger: rate bucket %s: %w", key, err)
	}
	return ok, retryAfter, nil
}
