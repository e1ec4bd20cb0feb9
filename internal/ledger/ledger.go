// Package ledger owns hybridgen's cost ledger: one SQLite file (pure Go,
// modernc.org/sqlite) in WAL mode, or one PostgreSQL database (pgx) that
// several servers share, holding one row per image job, cloud or local, with its status, timings and what it cost (or, for a browser draft,
// what it avoided), plus the stored output of completed cloud jobs.
//
// Money is stored as integer micro-dollars ([Micros]); sums are exact.
// Idempotency keys are unique per identity and client, so a retried request
// finds the row it created the first time and is never charged twice. A
// cloud row is SUBMITTING until RunPod answers; a submission whose outcome
// is unknown leaves it UNCONFIRMED, counted at its worst case by
// [Querier.Spend] until it settles, possibly at its estimate (marked
// estimated).
//
// Both backends run the same queries (written in SQLite's spelling and
// rewritten for PostgreSQL, see dialect.go), each with its own migration
// history, and pass one conformance suite. For several servers: admissions
// take an advisory lock (atomic budgets), [Ledger.Lease] and
// [Ledger.ClaimOrphans] hand a dead server's jobs to one other, and
// [Ledger.TakeToken] is a rate-limit bucket they share.
//
// It must not call RunPod or know HTTP: the api package decides what to
// record. [Store] is the contract the api package uses. Entry points: [Open], [Ledger.CreateOrGet],
// [Ledger.CreateOrGetIf], [Ledger.MarkSubmitted], [Ledger.MarkUnconfirmed],
// [Ledger.Progress], [Ledger.Settle], [Ledger.Unsettled], [Ledger.Usage],
// [Ledger.Spend], [Ledger.Secret].
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrNotFound is returned when no job has the requested id.
var ErrNotFound = errors.New("ledger: job not found")

// ErrSchemaTooNew is returned by [Open] when the file was written by a newer
// hybridgen whose migrations this binary does not know.
var ErrSchemaTooNew = errors.New("ledger: database schema is newer than this binary")

// Options tunes [Open].
type Options struct {
	// BusyTimeout is how long a writer waits for the lock held by another
	// connection or process. Zero means 5 seconds.
	BusyTimeout time.Duration
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Ledger is an open ledger file. It is safe for concurrent use.
type Ledger struct {
	db  *sql.DB
	d   *dialect
	q   conn // db, with queries rewritten for the backend
	now func() time.Time
	// writeMu serialises this process's writes: SQLite admits one writer
	// at a time, and queueing on a mutex is fairer and faster than
	// SQLite's busy handler, which sleeps in growing steps. The busy
	// timeout still arbitrates between processes.
	writeMu sync.Mutex
}

// Open opens (creating it and its directory when missing) the ledger at path,
// switches it to WAL mode and applies the migrations it lacks, each in its own
// transaction.
//
// A path starting with postgres:// or postgresql:// opens a PostgreSQL
// database instead (see [IsPostgresURL]): several servers can share it.
func Open(ctx context.Context, path string, opts Options) (*Ledger, error) {
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if IsPostgresURL(path) {
		return openPostgres(ctx, path, opts)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("ledger: create directory for %s: %w", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("ledger: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	l := newLedger(db, &sqliteDialect, opts)
	if err := l.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger: %s: %w", path, err)
	}
	return l, nil
}

func newLedger(db *sql.DB, d *dialect, opts Options) *Ledger {
	return &Ledger{db: db, d: d, q: conn{c: db, d: d}, now: opts.Now}
}

// Close closes the database.
func (l *Ledger) Close() error { return l.db.Close() }

// SchemaVersion reports the version the file's schema is at.
func (l *Ledger) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := l.q.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("ledger: read schema version: %w", err)
	}
	return v, nil
}

// LatestSchemaVersion is the version [Open] migrates SQLite files to.
func LatestSchemaVersion() int { return len(migrations) }

// LatestSchemaVersion is the version [Open] migrates this ledger's backend
// to (each backend has its own migration history).
func (l *Ledger) LatestSchemaVersion() int { return len(l.migrations()) }

// Backend names the ledger's database: "sqlite" or "postgres".
func (l *Ledger) Backend() string { return l.d.name }

func (l *Ledger) migrations() []string {
	if l.d.postgres {
		return pgMigrations
	}
	return migrations
}

func (l *Ledger) migrate(ctx context.Context) error {
	if !l.d.postgres {
		var mode string
		if err := l.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			return fmt.Errorf("read journal mode: %w", err)
		}
		if mode != "wal" {
			return fmt.Errorf("journal mode is %q, want wal", mode)
		}
	}
	if err := l.tx(ctx, func(tx conn) error {
		if err := l.lockMigrations(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version)
			SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)`)
		return err
	}); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	for {
		done, err := l.migrateOne(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateOne applies the next migration, if any, in one transaction. It
// re-reads the version inside the transaction so two processes opening the
// same file never apply a migration twice.
func (l *Ledger) migrateOne(ctx context.Context) (done bool, err error) {
	all := l.migrations()
	err = l.tx(ctx, func(tx conn) error {
		if err := l.lockMigrations(ctx, tx); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		switch {
		case v > len(all):
			return fmt.Errorf("%w: file at version %d, binary knows %d", ErrSchemaTooNew, v, len(all))
		case v == len(all):
			done = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, all[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, v+1); err != nil {
			return fmt.Errorf("migration %d: record version: %w", v+1, err)
		}
		return nil
	})
	return done, err
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE on SQLite, READ
// COMMITTED on PostgreSQL), committing when fn returns nil and rolling back
// otherwise.
func (l *Ledger) tx(ctx context.Context, fn func(conn) error) error {
	if l.d.serialWrites {
		l.writeMu.Lock()
		defer l.writeMu.Unlock()
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(conn{c: tx, d: l.d}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec runs one write statement outside a transaction, serialised with the
// other writes.
func (l *Ledger) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if l.d.serialWrites {
		l.writeMu.Lock()
		defer l.writeMu.Unlock()
	}
	return l.q.ExecContext(ctx, query, args...)
}

func (l *Ledger) nowMillis() int64 { return l.now().UTC().UnixMilli() }
