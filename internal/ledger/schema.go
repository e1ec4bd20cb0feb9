package ledger

// migrations are applied in order; migration i (0-based) brings the schema to
// version i+1. Never edit a migration that has shipped: append a new one.
var migrations = []string{
	// 1: the job ledger.
	`CREATE TABLE jobs (
		id                    TEXT PRIMARY KEY,
		created_at            INTEGER NOT NULL, -- unix milliseconds, UTC
		updated_at            INTEGER NOT NULL,
		client_id             TEXT NOT NULL,
		idempotency_key       TEXT,             -- unique per client when set
		request_hash          TEXT NOT NULL DEFAULT '',
		target                TEXT NOT NULL,
		model                 TEXT NOT NULL DEFAULT '',
		width                 INTEGER NOT NULL DEFAULT 0,
		height                INTEGER NOT NULL DEFAULT 0,
		steps                 INTEGER NOT NULL DEFAULT 0,
		kind                  TEXT NOT NULL CHECK (kind IN ('cloud', 'local')),
		status                TEXT NOT NULL,
		settled               INTEGER NOT NULL DEFAULT 0 CHECK (settled IN (0, 1)),
		queue_ms              INTEGER NOT NULL DEFAULT 0,
		execution_ms          INTEGER NOT NULL DEFAULT 0,
		estimated_cost_micros INTEGER NOT NULL DEFAULT 0,
		cost_micros           INTEGER NOT NULL DEFAULT 0,
		avoided_cost_micros   INTEGER NOT NULL DEFAULT 0,
		remote_id             TEXT NOT NULL DEFAULT '',
		error                 TEXT NOT NULL DEFAULT ''
	);
	CREATE UNIQUE INDEX jobs_client_idempotency ON jobs (client_id, idempotency_key)
		WHERE idempotency_key IS NOT NULL;
	CREATE INDEX jobs_unsettled ON jobs (settled) WHERE settled = 0;
	CREATE INDEX jobs_created ON jobs (created_at);
	CREATE INDEX jobs_client_created ON jobs (client_id, created_at);`,

	// 2: the output of completed cloud jobs (image data URI or URL, seed),
	// kept apart from the ledger rows so sums never read image bytes.
	`CREATE TABLE job_outputs (
		job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
		image  TEXT NOT NULL,
		seed   INTEGER NOT NULL DEFAULT 0
	);`,

	// 3: money safety. identity is who was charged: the bearer token's
	// name, never a value the caller picks (client_id stays a label);
	// idempotency keys become unique per identity and client.
	// worst_case_cost_micros (execution timeout x price) is what an
	// UNCONFIRMED job counts against budgets; estimated marks a job settled
	// at its estimate because the cloud never reported it. settings holds
	// server secrets that must survive a restart (the webhook key).
	`ALTER TABLE jobs ADD COLUMN identity TEXT NOT NULL DEFAULT '';
	ALTER TABLE jobs ADD COLUMN worst_case_cost_micros INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE jobs ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0 CHECK (estimated IN (0, 1));
	DROP INDEX jobs_client_idempotency;
	CREATE UNIQUE INDEX jobs_identity_idempotency ON jobs (identity, client_id, idempotency_key)
		WHERE idempotency_key IS NOT NULL;
	CREATE INDEX jobs_identity_created ON jobs (identity, created_at);
	CREATE TABLE settings (
		name  TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);`,

	// 4: several servers on one ledger. owner is the server that created
	// (or took over) an unsettled job; leases hold who is alive and who
	// reconciles (see [Ledger.Lease]); rate_buckets are the token buckets
	// every server shares (see [Ledger.TakeToken]).
	`ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
	CREATE TABLE leases (
		name       TEXT PRIMARY KEY,
		holder     TEXT NOT NULL,
		expires_at INTEGER NOT NULL -- unix milliseconds
	);
	CREATE TABLE rate_buckets (
		key     TEXT PRIMARY KEY,
		tokens  REAL NOT NULL,
		last_ms INTEGER NOT NULL
	);`,
	// 5: what a job made. Local rows may be edits made on the device
	// (upscales, background removals), listed apart from drafts in usage.
	migrationTask,
}

// migrationTask adds jobs.task; SQLite and PostgreSQL share it.
const migrationTask = `ALTER TABLE jobs ADD COLUMN task TEXT NOT NULL DEFAULT 'generate'
	CHECK (task IN ('generate', 'upscale', 'remove-background'));`
