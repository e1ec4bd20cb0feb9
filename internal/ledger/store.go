package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Store is what the API needs of a ledger. [Ledger] (SQLite) implements
// it; a second backend (PostgreSQL) implements the same methods with the
// same guarantees: CreateOrGetIf admits and inserts atomically, Settle
// settles exactly once, MarkUnconfirmed only moves a SUBMITTING row.
type Store interface {
	CreateOrGet(ctx context.Context, n NewJob) (Job, bool, error)
	CreateOrGetIf(ctx context.Context, n NewJob, admit func(ctx context.Context, q Querier) error) (Job, bool, error)
	Get(ctx context.Context, id string) (Job, error)
	MarkSubmitted(ctx context.Context, id, remoteID string, status Status) error
	MarkUnconfirmed(ctx context.Context, id, note string) (bool, error)
	Progress(ctx context.Context, id string, status Status, queue, execution time.Duration) error
	Settle(ctx context.Context, id string, s Settlement) (Job, bool, error)
	Output(ctx context.Context, id string) (image string, seed int64, ok bool, err error)
	Unsettled(ctx context.Context) ([]Job, error)
	Usage(ctx context.Context, since, until time.Time) (Usage, error)
	Spend(ctx context.Context, identity string, since, until time.Time) (Micros, error)
	Secret(ctx context.Context, name string) ([]byte, error)
	// Several servers on one ledger: see [Ledger.Lease].
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	Release(ctx context.Context, name, holder string) error
	ClaimOrphans(ctx context.Context, self string) ([]Job, error)
}

var _ Store = (*Ledger)(nil)

// Secret returns the 32-byte server secret called name, creating it from
// crypto/rand the first time: it lives in the ledger so that every process
// on the same ledger, and the next start, use the same one (the webhook
// signatures of jobs submitted before a restart stay valid).
func (l *Ledger) Secret(ctx context.Context, name string) ([]byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("ledger: secret %s: %w", name, err)
	}
	if _, err := l.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		"secret:"+name, hex.EncodeToString(b[:])); err != nil {
		return nil, fmt.Errorf("ledger: secret %s: %w", name, err)
	}
	var v string
	err := l.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, "secret:"+name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ledger: secret %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: secret %s: %w", name, err)
	}
	secret, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("ledger: secret %s: %w", name, err)
	}
	return secret, nil
}
