package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
)

// ErrIdempotencyConflict is matched (errors.Is) by a [ConflictError]: an
// idempotency key reused by the same identity and client with a different
// request.
var ErrIdempotencyConflict = errors.New("idempotency key already used for a different request")

// ErrUnknownTarget is returned for a target name that is not configured.
var ErrUnknownTarget = errors.New("unknown target")

// ErrNotCancellable is returned for a cancel of an UNCONFIRMED job whose
// RunPod id is unknown: there is nothing to send the cancel to.
var ErrNotCancellable = errors.New("the job's RunPod id is unknown, so it cannot be cancelled")

// ErrReportMismatch is a webhook report for another RunPod job than the
// one the ledger row knows.
var ErrReportMismatch = errors.New("the report is for another RunPod job")

// ConflictError is an idempotency key reused with a different request;
// JobID, when set, is the job the key already names.
type ConflictError struct {
	JobID string
}

func (e *ConflictError) Error() string {
	msg := "idempotency_key was already used by this client for a different request"
	if e.JobID != "" {
		msg += " (job " + e.JobID + ")"
	}
	return msg
}

// Is makes a ConflictError match [ErrIdempotencyConflict].
func (e *ConflictError) Is(target error) bool { return target == ErrIdempotencyConflict }

// SubmitError is a job the cloud target provably did not accept (a refusal
// or a failed dial); the ledger row is settled FAILED at cost 0 and Job is
// that row.
type SubmitError struct {
	Job ledger.Job
	Err error
}

func (e *SubmitError) Error() string { return "submit to the cloud target failed: " + e.Err.Error() }
func (e *SubmitError) Unwrap() error { return e.Err }

// UnconfirmedError is a submission that may have reached the cloud without
// an answer saying whether a job exists: Job is the row, now UNCONFIRMED.
type UnconfirmedError struct {
	Job ledger.Job
	Err error
}

func (e *UnconfirmedError) Error() string {
	return "submission outcome unknown: " + e.Err.Error()
}
func (e *UnconfirmedError) Unwrap() error { return e.Err }

// CancelError is a cancel the cloud target did not accept.
type CancelError struct {
	RemoteID, Target string
	Err              error
}

func (e *CancelError) Error() string {
	return fmt.Sprintf("cancel %s on %s: %v", e.RemoteID, e.Target, e.Err)
}
func (e *CancelError) Unwrap() error { return e.Err }

// MadeAtError is a draft whose made_at lies outside [now-MaxDraftAge,
// now+MaxClockSkew]: a ledger row is never dated in the future, nor
// further back than a browser's offline queue holds drafts.
type MadeAtError struct {
	MadeAt time.Time
	Future bool // true: too far ahead; false: too long ago
}

func (e *MadeAtError) Error() string {
	if e.Future {
		return fmt.Sprintf("lies in the future (more than %d minutes ahead of the server's clock)", int(MaxClockSkew.Minutes()))
	}
	return fmt.Sprintf("is more than %d days ago", int(MaxDraftAge.Hours()/24))
}

// BudgetError is a render refused by a budget cap.
type BudgetError struct {
	Scope    string // "client daily", "client monthly", "global daily", "global monthly"
	Cap      ledger.Micros
	Spent    ledger.Micros // committed in the window, in-flight estimates included
	Estimate ledger.Micros // the refused job's estimated cost
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("the %s budget of %s would be exceeded: %s committed, this image is estimated at %s",
		e.Scope, e.Cap, e.Spent, e.Estimate)
}

// RateLimitError is a render refused by the per-client rate limit.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many renders: retry in %s", e.RetryAfter.Round(time.Second))
}

// UserReason says in a few words why a call to the cloud target failed,
// from the error's type only: never the URL, the endpoint id or the Go
// error chain, which stay in the log.
func UserReason(err error) string {
	var apiErr *runpod.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized:
		return "it refused the server's API key (HTTP 401)"
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests:
		return "it is rate limiting this server (HTTP 429)"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("it answered HTTP %d", apiErr.StatusCode)
	case errors.Is(err, runpod.ErrSubmitUncertain):
		return "it gave no answer"
	case errors.Is(err, runpod.ErrMalformedResponse):
		return "its answer was not understood"
	case errors.Is(err, context.DeadlineExceeded):
		return "it did not answer in time"
	}
	return "it could not be reached"
}
