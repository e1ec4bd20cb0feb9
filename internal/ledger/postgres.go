package ledger

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // pgx through database/sql
)

// IsPostgresURL reports whether dsn names a PostgreSQL database
// (postgres://... or postgresql://...) rather than a SQLite file.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Redact returns the ledger location fit for a log line: a postgres://
// URL without its password; a file path as is.
func Redact(location string) string {
	if !IsPostgresURL(location) {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

// Advisory lock keys (pg_advisory_xact_lock) that serialise, across every
// server sharing the database, the steps that must not interleave.
const (
	lockKeyMigrations = 0x6879_6272_0001 // "hybr" 1: applying migrations
	lockKeyAdmissions = 0x6879_6272_0002 // "hybr" 2: budget checks + insert
	lockKeyClaims     = 0x6879_6272_0003 // "hybr" 3: taking over dead servers' jobs
	// lockClassAdmissionScopes is the first of the two 32-bit keys of a
	// budget scope's lock (the second hashes the scope). PostgreSQL keeps
	// two-key and one-key locks apart: every server must pass scopes, or
	// none must (the API always does).
	lockClassAdmissionScopes int32 = 0x6879
)

// openPostgres opens the PostgreSQL ledger at dsn and applies its
// migrations. The DSN is never put in an error: it may hold a password.
func openPostgres(ctx context.Context, dsn string, opts Options) (*Ledger, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("ledger: postgres URL: %w", redactDSN(err, dsn))
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	l := newLedger(db, &postgresDialect, opts)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger: connect to postgres %s: %w", cfg.Host, err)
	}
	if err := l.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger: postgres %s/%s: %w", cfg.Host, cfg.Database, err)
	}
	return l, nil
}

// redactDSN keeps a parse error from echoing the password pgx may quote.
func redactDSN(err error, dsn string) error {
	msg := err.Error()
	if strings.Contains(msg, dsn) {
		return fmt.Errorf("invalid connection URL")
	}
	return err
}

// lockMigrations makes concurrent starts apply each migration once.
func (l *Ledger) lockMigrations(ctx context.Context, tx conn) error {
	return l.advisoryLock(ctx, tx, lockKeyMigrations)
}

// lockAdmissions makes [Ledger.CreateOrGetIf]'s check-then-insert atomic
// across servers: one admission at a time per budget scope (all of them
// when scopes is nil), so a budget read by one server already counts every
// job another server admitted under it. Scopes are locked in sorted order
// (no deadlock). (SQLite gets the same from BEGIN IMMEDIATE: one writer
// per file.)
func (l *Ledger) lockAdmissions(ctx context.Context, tx conn, scopes []string) error {
	if scopes == nil {
		return l.advisoryLock(ctx, tx, lockKeyAdmissions)
	}
	if !l.d.postgres || len(scopes) == 0 {
		return nil
	}
	sorted := slices.Sorted(slices.Values(scopes))
	for _, s := range slices.Compact(sorted) {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, hashtext(?))`,
			lockClassAdmissionScopes, s); err != nil {
			return fmt.Errorf("advisory lock %s: %w", s, err)
		}
	}
	return nil
}

func (l *Ledger) advisoryLock(ctx context.Context, tx conn, key int64) error {
	if !l.d.postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, key); err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	return nil
}

// pgMigrations is PostgreSQL's own history: migration i (0-based) brings
// the schema to version i+1. Integers are BIGINT (times are unix ms); flags
// are 0/1 integers as in SQLite so the queries are the same. Never edit a
// shipped migration: append one.
var pgMigrations = []string{
	// 1: the ledger as of SQLite's version 4.
	`CREATE TABLE jobs (
		id                     TEXT PRIMARY KEY,
		created_at             BIGINT NOT NULL,
		updated_at             BIGINT NOT NULL,
		identity               TEXT NOT NULL DEFAULT '',
		client_id              TEXT NOT NULL,
		idempotency_key        TEXT,
		request_hash           TEXT NOT NULL DEFAULT '',
		target                 TEXT NOT NULL,
		model                  TEXT NOT NULL DEFAULT '',
		width                  BIGINT NOT NULL DEFAULT 0,
		height                 BIGINT NOT NULL DEFAULT 0,
		steps                  BIGINT NOT NULL DEFAULT 0,
		kind                   TEXT NOT NULL CHECK (kind IN ('cloud', 'local')),
		status                 TEXT NOT NULL,
		settled                BIGINT NOT NULL DEFAULT 0 CHECK (settled IN (0, 1)),
		queue_ms               BIGINT NOT NULL DEFAULT 0,
		execution_ms           BIGINT NOT NULL DEFAULT 0,
		estimated_cost_micros  BIGINT NOT NULL DEFAULT 0,
		worst_case_cost_micros BIGINT NOT NULL DEFAULT 0,
		cost_micros            BIGINT NOT NULL DEFAULT 0,
		avoided_cost_micros    BIGINT NOT NULL DEFAULT 0,
		estimated              BIGINT NOT NULL DEFAULT 0 CHECK (estimated IN (0, 1)),
		remote_id              TEXT NOT NULL DEFAULT '',
		error                  TEXT NOT NULL DEFAULT '',
		owner                  TEXT NOT NULL DEFAULT ''
	);
	CREATE UNIQUE INDEX jobs_identity_idempotency ON jobs (identity, client_id, idempotency_key)
		WHERE idempotency_key IS NOT NULL;
	CREATE INDEX jobs_unsettled ON jobs (settled) WHERE settled = 0;
	CREATE INDEX jobs_created ON jobs (created_at);
	CREATE INDEX jobs_identity_created ON jobs (identity, created_at);
	CREATE TABLE job_outputs (
		job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
		image  TEXT NOT NULL,
		seed   BIGINT NOT NULL DEFAULT 0
	);
	CREATE TABLE settings (
		name  TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	CREATE TABLE leases (
		name       TEXT PRIMARY KEY,
		holder     TEXT NOT NULL,
		expires_at BIGINT NOT NULL
	);
	CREATE TABLE rate_buckets (
		key     TEXT PRIMARY KEY,
		tokens  DOUBLE PRECISION NOT NULL,
		last_ms BIGINT NOT NULL
	);`,

	// 2: SQLite's version 5, what a job made.
	migrationTask,
}
