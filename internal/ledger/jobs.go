package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Kind says where a job ran.
type Kind string

// The kinds of job.
const (
	KindCloud Kind = "cloud" // rendered by a cloud target (RunPod or compatible)
	KindLocal Kind = "local" // drafted in the browser, reported by the client
)

// Task says what a job made: an image from a prompt, or an edit of one.
type Task string

// The tasks of a job. Cloud jobs always generate; local ones may edit.
const (
	TaskGenerate         Task = "generate"          // an image from a prompt (drafts, cloud jobs)
	TaskUpscale          Task = "upscale"           // an image upscaled on the device
	TaskRemoveBackground Task = "remove-background" // an image cut out on the device
)

// Valid reports whether t is one of the known tasks.
func (t Task) Valid() bool {
	return t == TaskGenerate || t == TaskUpscale || t == TaskRemoveBackground
}

// Status is a job's state. The in-flight and final states are RunPod's; a
// row is SUBMITTING between its creation and RunPod's answer to /run, and
// UNCONFIRMED when the request may have reached RunPod but no answer says
// whether a job exists (it counts at its worst case until reconciled).
type Status string

// The states of a job.
const (
	// StatusPending is what rows written before the SUBMITTING state said;
	// it is read as SUBMITTING.
	StatusPending     Status = "PENDING"
	StatusSubmitting  Status = "SUBMITTING"
	StatusUnconfirmed Status = "UNCONFIRMED"
	StatusInQueue     Status = "IN_QUEUE"
	StatusInProgress  Status = "IN_PROGRESS"
	StatusCompleted   Status = "COMPLETED"
	StatusFailed      Status = "FAILED"
	StatusCancelled   Status = "CANCELLED"
	StatusTimedOut    Status = "TIMED_OUT"
)

// Final reports whether s is a terminal state.
func (s Status) Final() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusTimedOut:
		return true
	}
	return false
}

// Submitting reports whether s is a state written before RunPod answered
// the submission (SUBMITTING, or PENDING from older rows).
func (s Status) Submitting() bool { return s == StatusSubmitting || s == StatusPending }

// Job is one ledger row.
type Job struct {
	ID        string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Identity is who is charged: a bearer token's name, or the single
	// loopback identity. Budgets and rate limits key on it.
	Identity string
	// ClientID is the label the caller chose; reports only.
	ClientID       string
	IdempotencyKey string
	// RequestHash fingerprints the request that created the row, so a reused
	// idempotency key with a different request can be told apart.
	RequestHash   string
	Target        string
	Model         string
	Width         int
	Height        int
	Steps         int
	Kind          Kind
	Task          Task
	Status        Status
	Settled       bool
	Queue         time.Duration
	Execution     time.Duration
	EstimatedCost Micros // what an unsettled job is assumed to cost (budgets)
	WorstCaseCost Micros // execution timeout x price: what an UNCONFIRMED job counts
	Cost          Micros // what the job cost once settled
	AvoidedCost   Micros // for local drafts: the cloud price avoided
	// Estimated marks a job settled at its estimate because the cloud
	// never reported what it ran.
	Estimated bool
	RemoteID  string // the RunPod job id once known
	Error     string // why the job failed, or a reconciliation note
	// Owner is the server that follows the unsettled job (see
	// [Ledger.ClaimOrphans]); "" for rows of a single server.
	Owner string
}

// NewJob describes a row to create.
type NewJob struct {
	ID             string
	Identity       string // who is charged; "" only for rows no budget keys on
	ClientID       string
	IdempotencyKey string // empty: no deduplication
	RequestHash    string
	Target         string
	Model          string
	Width          int
	Height         int
	Steps          int
	Kind           Kind
	// Task is what the job made; "" means [TaskGenerate].
	Task Task
	// Status is the initial state: SUBMITTING for cloud jobs, a final
	// state for local drafts (which are created settled).
	Status        Status
	EstimatedCost Micros
	WorstCaseCost Micros
	Cost          Micros
	AvoidedCost   Micros
	// Owner is the server creating the job, when several share the ledger.
	Owner string
	// CreatedAt is when the job was made, when that was before it was
	// recorded (a draft made offline and reported later); zero is now.
	CreatedAt time.Time
	// AdmissionScopes name the budgets the admission of
	// [Ledger.CreateOrGetIf] reads (e.g. "global", "identity:alice"):
	// admissions sharing a scope are serialised across servers. nil means
	// every admission is serialised; empty (non-nil), none is (no budget).
	AdmissionScopes []string
}

const jobColumns = `id, created_at, updated_at, client_id, COALESCE(idempotency_key, ''), request_hash,
	target, model, width, height, steps, kind, status, settled, queue_ms, execution_ms,
	estimated_cost_micros, cost_micros, avoided_cost_micros, remote_id, error,
	identity, worst_case_cost_micros, estimated, owner, task`

type scanner interface{ Scan(dest ...any) error }

func scanJob(s scanner) (Job, error) {
	var j Job
	var created, updated, queueMS, execMS int64
	err := s.Scan(&j.ID, &created, &updated, &j.ClientID, &j.IdempotencyKey, &j.RequestHash,
		&j.Target, &j.Model, &j.Width, &j.Height, &j.Steps, &j.Kind, &j.Status, &j.Settled,
		&queueMS, &execMS, &j.EstimatedCost, &j.Cost, &j.AvoidedCost, &j.RemoteID, &j.Error,
		&j.Identity, &j.WorstCaseCost, &j.Estimated, &j.Owner, &j.Task)
	if err != nil {
		return Job{}, err
	}
	j.CreatedAt = time.UnixMilli(created).UTC()
	j.UpdatedAt = time.UnixMilli(updated).UTC()
	j.Queue = time.Duration(queueMS) * time.Millisecond
	j.Execution = time.Duration(execMS) * time.Millisecond
	return j, nil
}

// CreateOrGet inserts the row described by n, or, when the identity's client already has
// a row with the same idempotency key, returns that row untouched. created
// reports which happened. It is atomic: concurrent calls with the same key
// create exactly one row.
func (l *Ledger) CreateOrGet(ctx context.Context, n NewJob) (job Job, created bool, err error) {
	err = l.tx(ctx, func(tx conn) error {
		var e error
		job, created, e = l.createOrGetTx(ctx, tx, n)
		return e
	})
	if err != nil {
		return Job{}, false, fmt.Errorf("ledger: create job %s: %w", n.ID, err)
	}
	return job, created, nil
}

// CreateOrGetIf is [Ledger.CreateOrGet] with a guard: when no row exists for
// the idempotency key, admit runs inside the same write transaction, before
// the insert, and its error (if any) aborts the insert and is returned as is.
// Budgets use it so that checking the spend and recording the new job are one
// atomic step, even across processes sharing the file.
func (l *Ledger) CreateOrGetIf(ctx context.Context, n NewJob, admit func(ctx context.Context, q Querier) error) (job Job, created bool, err error) {
	err = l.tx(ctx, func(tx conn) error {
		if e := l.lockAdmissions(ctx, tx, n.AdmissionScopes); e != nil {
			return e
		}
		if n.IdempotencyKey != "" {
			existing, e := getByKey(ctx, tx, n.Identity, n.ClientID, n.IdempotencyKey)
			if e == nil {
				job = existing
				return nil
			}
			if !errors.Is(e, ErrNotFound) {
				return e
			}
		}
		if e := admit(ctx, sqlQuerier{q: tx, l: l}); e != nil {
			return e
		}
		var e error
		job, created, e = l.createOrGetTx(ctx, tx, n)
		return e
	})
	if err != nil {
		return Job{}, false, fmt.Errorf("ledger: create job %s: %w", n.ID, err)
	}
	return job, created, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (l *Ledger) createOrGetTx(ctx context.Context, tx conn, n NewJob) (Job, bool, error) {
	if n.ID == "" || n.ClientID == "" || n.Target == "" {
		return Job{}, false, errors.New("id, client id and target are required")
	}
	if n.Kind != KindCloud && n.Kind != KindLocal {
		return Job{}, false, fmt.Errorf("unknown kind %q", n.Kind)
	}
	if n.Task == "" {
		n.Task = TaskGenerate
	}
	if !n.Task.Valid() || (n.Kind == KindCloud && n.Task != TaskGenerate) {
		return Job{}, false, fmt.Errorf("task %q is not one a %s job can have", n.Task, n.Kind)
	}
	if n.Status == "" {
		n.Status = StatusSubmitting
	}
	var key any
	if n.IdempotencyKey != "" {
		key = n.IdempotencyKey
	}
	now := l.nowMillis()
	created := now
	if !n.CreatedAt.IsZero() {
		created = n.CreatedAt.UnixMilli()
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, created_at, updated_at, identity, client_id, idempotency_key,
		request_hash, target, model, width, height, steps, kind, status, settled,
		estimated_cost_micros, worst_case_cost_micros, cost_micros, avoided_cost_micros, owner, task)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (identity, client_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
		n.ID, created, now, n.Identity, n.ClientID, key, n.RequestHash, n.Target, n.Model, n.Width, n.Height, n.Steps,
		n.Kind, n.Status, n.Status.Final(), n.EstimatedCost, n.WorstCaseCost, n.Cost, n.AvoidedCost, n.Owner, n.Task)
	if err != nil {
		return Job{}, false, fmt.Errorf("insert: %w", err)
	}
	rows, err := res.RowsAffected()
	if err != nil {
		return Job{}, false, fmt.Errorf("insert: %w", err)
	}
	if rows == 1 {
		j, err := getByID(ctx, tx, n.ID)
		return j, true, err
	}
	j, err := getByKey(ctx, tx, n.Identity, n.ClientID, n.IdempotencyKey)
	return j, false, err
}

func getByID(ctx context.Context, q queryer, id string) (Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return j, err
}

func getByKey(ctx context.Context, q queryer, identity, clientID, key string) (Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE identity = ? AND client_id = ? AND idempotency_key = ?`, identity, clientID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("%w: identity %s client %s key %s", ErrNotFound, identity, clientID, key)
	}
	return j, err
}

// Get returns the job with the given id, or an error wrapping [ErrNotFound].
func (l *Ledger) Get(ctx context.Context, id string) (Job, error) {
	j, err := getByID(ctx, l.q, id)
	if err != nil {
		return Job{}, fmt.Errorf("ledger: get: %w", err)
	}
	return j, nil
}

// MarkSubmitted records that the cloud accepted job id as remoteID, in
// status (IN_QUEUE or IN_PROGRESS). It does nothing to a settled row; an
// UNCONFIRMED row whose remote id shows up later becomes confirmed.
func (l *Ledger) MarkSubmitted(ctx context.Context, id, remoteID string, status Status) error {
	_, err := l.exec(ctx, `UPDATE jobs SET remote_id = ?, status = ?, updated_at = ?
		WHERE id = ? AND settled = 0`, remoteID, status, l.nowMillis(), id)
	if err != nil {
		return fmt.Errorf("ledger: mark %s submitted: %w", id, err)
	}
	return nil
}

// MarkUnconfirmed records that the submission of job id may have reached
// the cloud without an answer saying whether a job exists: the row leaves
// SUBMITTING for UNCONFIRMED, with note, and counts at its worst case until
// reconciled. It reports whether the row changed (false: settled, or no
// longer submitting).
func (l *Ledger) MarkUnconfirmed(ctx context.Context, id, note string) (bool, error) {
	res, err := l.exec(ctx, `UPDATE jobs SET status = ?, error = ?, updated_at = ?
		WHERE id = ? AND settled = 0 AND status IN (?, ?)`,
		StatusUnconfirmed, note, l.nowMillis(), id, StatusSubmitting, StatusPending)
	if err != nil {
		return false, fmt.Errorf("ledger: mark %s unconfirmed: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("ledger: mark %s unconfirmed: %w", id, err)
	}
	return n == 1, nil
}

// Progress records a non-final status and the timings seen so far. It does
// nothing to a settled row, so a late update never reopens a settled job.
func (l *Ledger) Progress(ctx context.Context, id string, status Status, queue, execution time.Duration) error {
	if status.Final() {
		return fmt.Errorf("ledger: progress %s: %s is final: use Settle", id, status)
	}
	_, err := l.exec(ctx, `UPDATE jobs SET status = ?, queue_ms = ?, execution_ms = ?, updated_at = ?
		WHERE id = ? AND settled = 0`, status, queue.Milliseconds(), execution.Milliseconds(), l.nowMillis(), id)
	if err != nil {
		return fmt.Errorf("ledger: progress %s: %w", id, err)
	}
	return nil
}

// Settlement is the final account of a job.
type Settlement struct {
	Status    Status // a final status
	Queue     time.Duration
	Execution time.Duration
	Cost      Micros
	Error     string
	// Image is the output (data URI or URL) of a completed job; Seed its seed.
	Image string
	Seed  int64
	// RemoteID, when set, is recorded on a row that has none yet (a job
	// whose id arrived with its final report, e.g. through the webhook).
	RemoteID string
	// Estimated marks a cost the cloud never reported (an estimate).
	Estimated bool
}

// Settle records the final state of job id exactly once: the first call wins
// and later calls return the row as settled the first time with
// settledNow false. A job is therefore never charged twice.
func (l *Ledger) Settle(ctx context.Context, id string, s Settlement) (job Job, settledNow bool, err error) {
	if !s.Status.Final() {
		return Job{}, false, fmt.Errorf("ledger: settle %s: status %q is not final", id, s.Status)
	}
	err = l.tx(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET status = ?, settled = 1, queue_ms = ?, execution_ms = ?,
			cost_micros = ?, error = ?, estimated = ?, updated_at = ?,
			remote_id = CASE WHEN remote_id = '' THEN ? ELSE remote_id END
			WHERE id = ? AND settled = 0`,
			s.Status, s.Queue.Milliseconds(), s.Execution.Milliseconds(), s.Cost, s.Error, s.Estimated,
			l.nowMillis(), s.RemoteID, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		settledNow = n == 1
		if settledNow && s.Image != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO job_outputs (job_id, image, seed) VALUES (?, ?, ?)`,
				id, s.Image, s.Seed); err != nil {
				return fmt.Errorf("store output: %w", err)
			}
		}
		job, err = getByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return Job{}, false, fmt.Errorf("ledger: settle %s: %w", id, err)
	}
	return job, settledNow, nil
}

// Output returns the stored image (data URI or URL) and seed of a completed
// job; ok is false when there is none.
func (l *Ledger) Output(ctx context.Context, id string) (image string, seed int64, ok bool, err error) {
	err = l.q.QueryRowContext(ctx, `SELECT image, seed FROM job_outputs WHERE job_id = ?`, id).Scan(&image, &seed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("ledger: output %s: %w", id, err)
	}
	return image, seed, true, nil
}

// Unsettled lists the jobs not yet settled, oldest first: the ones to
// reconcile after a restart.
func (l *Ledger) Unsettled(ctx context.Context) ([]Job, error) {
	return l.list(ctx, `SELECT `+jobColumns+` FROM jobs WHERE settled = 0 ORDER BY created_at, id`)
}

// Jobs lists every job created in [since, until), oldest first.
func (l *Ledger) Jobs(ctx context.Context, since, until time.Time) ([]Job, error) {
	return l.list(ctx, `SELECT `+jobColumns+` FROM jobs WHERE created_at >= ? AND created_at < ?
		ORDER BY created_at, id`, since.UnixMilli(), until.UnixMilli())
}

func (l *Ledger) list(ctx context.Context, query string, args ...any) ([]Job, error) {
	rows, err := l.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: list: %w", err)
	}
	defer rows.Close()
	var jobs []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("ledger: list: %w", err)
		}
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: list: %w", err)
	}
	return jobs, nil
}
