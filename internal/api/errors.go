package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"hybridgen/internal/runpod"
)

// Error codes: the "code" of every JSON error body.
const (
	CodeInvalidRequest      = "invalid_request"        // 400, with fields
	CodeUnauthorized        = "unauthorized"           // 401: missing or wrong bearer token
	CodeBudgetExceeded      = "budget_exceeded"        // 402: a spend cap would be passed
	CodeForbidden           = "forbidden"              // 403: cross-origin request or preflight
	CodeNotFound            = "not_found"              // 404
	CodeIdempotencyConflict = "idempotency_conflict"   // 409: key reused with another request
	CodeNotCancellable      = "not_cancellable"        // 409: an UNCONFIRMED job without a RunPod id
	CodeUnsupportedMedia    = "unsupported_media_type" // 415: body is not application/json (or, for an asset, not an accepted image)
	CodeTooLarge            = "too_large"              // 413: an image asset over the server's limit
	CodeRateLimited         = "rate_limited"           // 429, with Retry-After
	CodeInternal            = "internal"               // 500
	CodeUpstream            = "upstream_error"         // 502: the cloud target refused or failed
	CodeCloudUnavailable    = "cloud_unavailable"      // 503: no cloud target configured
)

// FieldError names one invalid request field and why it is invalid.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// RequestError is a request that failed validation; it becomes a 400
// invalid_request answer listing every field at fault.
type RequestError struct {
	Fields []FieldError
}

func (e *RequestError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

func (e *RequestError) add(field, msg string) { e.Fields = append(e.Fields, FieldError{field, msg}) }

// orNil returns e when it holds a field error, else nil.
func (e *RequestError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// ErrorBody is the JSON shape of every error answer:
// {"error":{"code":"...","message":"...","fields":[...]}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of [ErrorBody].
type ErrorDetail struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
	// RetryAfterSeconds repeats the Retry-After header of 429 answers.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

func writeRequestError(w http.ResponseWriter, e *RequestError) {
	writeJSON(w, http.StatusBadRequest, ErrorBody{Error: ErrorDetail{
		Code: CodeInvalidRequest, Message: e.Error(), Fields: e.Fields}})
}

// userReason says in a few words why a call to the cloud target failed,
// from the error's type only: never the URL, the endpoint id or the Go
// error chain, which stay in the log.
func userReason(err error) string {
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
