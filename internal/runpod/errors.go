package runpod

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinels matched with errors.Is against the errors this package returns.
var (
	// ErrBadRequest matches an [APIError] with HTTP status 400.
	ErrBadRequest = errors.New("runpod: bad request")
	// ErrUnauthorized matches an [APIError] with HTTP status 401 (a wrong or
	// missing API key).
	ErrUnauthorized = errors.New("runpod: unauthorized")
	// ErrNotFound matches an [APIError] with HTTP status 404: an unknown
	// endpoint, or a job RunPod no longer knows (past its ttl or result
	// retention).
	ErrNotFound = errors.New("runpod: not found")
	// ErrRateLimited matches an [APIError] with HTTP status 429.
	ErrRateLimited = errors.New("runpod: rate limited")
	// ErrServer matches an [APIError] with a 5xx HTTP status.
	ErrServer = errors.New("runpod: server error")

	// ErrJobFailed matches a [JobError] for a job that ended FAILED.
	ErrJobFailed = errors.New("runpod: job failed")
	// ErrJobTimedOut matches a [JobError] for a job that ended TIMED_OUT.
	ErrJobTimedOut = errors.New("runpod: job timed out")
	// ErrJobCancelled matches a [JobError] for a job that ended CANCELLED.
	ErrJobCancelled = errors.New("runpod: job cancelled")

	// ErrSubmitUncertain matches an error from [Client.Run] or
	// [Client.RunSync] where the request may have reached RunPod (a dropped
	// connection, a timeout, the caller's context ending mid-request) so a
	// job may exist that the caller has no id for. It was not retried, to
	// avoid a second job and a second charge. A 500/502/504 answer is just
	// as ambiguous; it is not retried either and matches [ErrServer].
	ErrSubmitUncertain = errors.New("runpod: submission outcome unknown (not retried)")

	// ErrMalformedResponse matches an error for an answer that is not the
	// JSON RunPod documents.
	ErrMalformedResponse = errors.New("runpod: malformed response")
)

// APIError is an HTTP error answer from RunPod (or a compatible server).
// Message is the server's error text, scrubbed of the API key and
// truncated.
type APIError struct {
	// Op names the call: run, runsync, status, cancel, retry, purge-queue,
	// health.
	Op string
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the server's explanation, when it gave one.
	Message string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
}

// Error describes the failure without any credential.
func (e *APIError) Error() string {
	s := fmt.Sprintf("runpod: %s: HTTP %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is matches the sentinel for the error's HTTP status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	}
	return false
}

// JobError reports a job that ended FAILED, TIMED_OUT or CANCELLED. It
// matches [ErrJobFailed], [ErrJobTimedOut] or [ErrJobCancelled].
type JobError struct {
	// Job is the final state RunPod reported, times included, so the
	// caller can still bill what ran.
	Job Job
}

// Error names the job, its state and the worker's error text.
func (e *JobError) Error() string {
	s := fmt.Sprintf("runpod: job %s ended %s", e.Job.ID, e.Job.Status)
	if e.Job.Error != "" {
		s += ": " + e.Job.Error
	}
	return s
}

// Unwrap returns the sentinel for the job's state.
func (e *JobError) Unwrap() error {
	switch e.Job.Status {
	case StatusFailed:
		return ErrJobFailed
	case StatusTimedOut:
		return ErrJobTimedOut
	case StatusCancelled:
		return ErrJobCancelled
	}
	return nil
}
