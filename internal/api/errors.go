package api

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"hybridgen/internal/assets"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
)

// Error codes: the "code" of every JSON error body. [errorRules] gives
// each its HTTP status.
const (
	CodeInvalidRequest      = "invalid_request"        // 400, with fields
	CodeUnauthorized        = "unauthorized"           // 401: missing or wrong bearer token
	CodeBudgetExceeded      = "budget_exceeded"        // 402: a spend cap would be passed
	CodeForbidden           = "forbidden"              // 403: cross-origin request or preflight
	CodeNotFound            = "not_found"              // 404
	CodeIdempotencyConflict = "idempotency_conflict"   // 409: key reused with another request
	CodeNotCancellable      = "not_cancellable"        // 409: an UNCONFIRMED job without a RunPod id
	CodeTargetGone          = "target_not_configured"  // 409: the job's target is no longer configured
	CodeTooLarge            = "too_large"              // 413: an image asset over the server's limit
	CodeUnsupportedMedia    = "unsupported_media_type" // 415: body is not application/json (or, for an asset, not an accepted image)
	CodeRateLimited         = "rate_limited"           // 429, with Retry-After
	CodeInternal            = "internal"               // 500
	CodeUpstream            = "upstream_error"         // 502: the cloud target refused or failed
	CodeCloudUnavailable    = "cloud_unavailable"      // 503: no cloud target configured
)

// Refusals of the HTTP layer itself; [errorRules] maps each to its answer.
var (
	ErrCrossOrigin      = errors.New("cross-origin requests are not allowed")
	ErrUnauthorized     = errors.New("a valid bearer token is required")
	ErrUnsupportedMedia = errors.New("the body must be application/json")
	ErrNoRoute          = errors.New("no such API route")
	ErrNoCloud          = errors.New("no cloud target is configured: render High Quality locally")
	ErrNoAssets         = errors.New("this server keeps no image assets")
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

// fieldError is a *RequestError for one field.
func fieldError(field, msg string) error {
	return &RequestError{Fields: []FieldError{{field, msg}}}
}

// ErrorBody is the JSON shape of every error answer:
// {"error":{"code":"...","message":"...","fields":[...]}}, with the job
// when a refused submission left a settled row.
type ErrorBody struct {
	Error ErrorDetail   `json:"error"`
	Job   *jobs.JobView `json:"job,omitempty"`
}

// ErrorDetail is the content of [ErrorBody].
type ErrorDetail struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
	// RetryAfterSeconds repeats the Retry-After header of 429 answers.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
}

// msgAssetTooLarge is the message of a 413 answer.
const msgAssetTooLarge = "the image is larger than this server accepts"

// errorRule is one row of [errorRules]: when answer recognises an error
// (by type or sentinel, never by text) it fills the body's message and
// extras and may set headers; the row gives status and code.
type errorRule struct {
	status int
	code   string
	answer func(err error, h http.Header, b *ErrorBody) bool
}

// errorRules is the one table from typed errors to error answers: the
// first row that recognises an error decides. An error no row recognises
// is a 500 internal answer whose message says nothing of it.
var errorRules = []errorRule{
	{http.StatusBadRequest, CodeInvalidRequest, as(func(e *RequestError, _ http.Header, b *ErrorBody) {
		b.Error.Message, b.Error.Fields = e.Error(), e.Fields
	})},
	{http.StatusBadRequest, CodeInvalidRequest, as(func(e *jobs.MadeAtError, _ http.Header, b *ErrorBody) {
		re := &RequestError{Fields: []FieldError{{"made_at", e.Error()}}}
		b.Error.Message, b.Error.Fields = re.Error(), re.Fields
	})},
	{http.StatusUnauthorized, CodeUnauthorized, is(ErrUnauthorized, func(h http.Header) {
		h.Set("WWW-Authenticate", `Bearer realm="hybridgen"`)
	})},
	{http.StatusPaymentRequired, CodeBudgetExceeded, as(func(e *jobs.BudgetError, _ http.Header, b *ErrorBody) {
		b.Error.Message = e.Error()
	})},
	{http.StatusForbidden, CodeForbidden, is(ErrCrossOrigin, nil)},
	{http.StatusNotFound, CodeNotFound, is(ErrNoRoute, nil)},
	{http.StatusNotFound, CodeNotFound, isSaying(ledger.ErrNotFound, "no job with this id")},
	{http.StatusNotFound, CodeNotFound, is(ErrNoAssets, nil)},
	{http.StatusNotFound, CodeNotFound, isSaying(assets.ErrNotFound, "no such image asset")},
	{http.StatusNotFound, CodeNotFound, isSaying(assets.ErrBadHash, "no such image asset")},
	{http.StatusConflict, CodeIdempotencyConflict, as(func(e *jobs.ConflictError, _ http.Header, b *ErrorBody) {
		b.Error.Message = e.Error()
	})},
	{http.StatusConflict, CodeIdempotencyConflict, is(jobs.ErrReportMismatch, nil)},
	{http.StatusConflict, CodeNotCancellable, is(jobs.ErrNotCancellable, nil)},
	{http.StatusConflict, CodeTargetGone, isSaying(jobs.ErrUnknownTarget, "the job's target is no longer configured")},
	{http.StatusRequestEntityTooLarge, CodeTooLarge, isSaying(assets.ErrTooLarge, msgAssetTooLarge)},
	{http.StatusRequestEntityTooLarge, CodeTooLarge, as(func(_ *http.MaxBytesError, _ http.Header, b *ErrorBody) {
		b.Error.Message = msgAssetTooLarge
	})},
	{http.StatusUnsupportedMediaType, CodeUnsupportedMedia, is(ErrUnsupportedMedia, nil)},
	{http.StatusUnsupportedMediaType, CodeUnsupportedMedia, isSaying(assets.ErrType,
		"an image asset must be a PNG, JPEG or WebP image of the type its Content-Type says")},
	{http.StatusTooManyRequests, CodeRateLimited, as(func(e *jobs.RateLimitError, h http.Header, b *ErrorBody) {
		secs := max(int(math.Ceil(e.RetryAfter.Seconds())), 1)
		h.Set("Retry-After", strconv.Itoa(secs))
		b.Error.Message, b.Error.RetryAfterSeconds = e.Error(), secs
	})},
	{http.StatusBadGateway, CodeUpstream, as(func(e *jobs.SubmitError, _ http.Header, b *ErrorBody) {
		v := jobs.ViewOf(e.Job)
		b.Error.Message, b.Job = "the cloud target refused the job: "+jobs.UserReason(e.Err)+": nothing was charged", &v
	})},
	{http.StatusBadGateway, CodeUpstream, as(func(e *jobs.CancelError, _ http.Header, b *ErrorBody) {
		b.Error.Message = "the cloud target did not accept the cancel: " + jobs.UserReason(e.Err)
	})},
	{http.StatusServiceUnavailable, CodeCloudUnavailable, is(ErrNoCloud, nil)},
}

// errorAnswer is err's status and body by [errorRules]; it sets the
// headers the answer needs on h.
func errorAnswer(err error, h http.Header) (int, ErrorBody) {
	for _, rule := range errorRules {
		b := ErrorBody{Error: ErrorDetail{Code: rule.code}}
		if rule.answer(err, h, &b) {
			return rule.status, b
		}
	}
	return http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: CodeInternal,
		Message: "the server could not complete the request"}}
}

// as recognises errors of type T (errors.As) and answers with fill.
func as[T error](fill func(e T, h http.Header, b *ErrorBody)) func(error, http.Header, *ErrorBody) bool {
	return func(err error, h http.Header, b *ErrorBody) bool {
		var e T
		if !errors.As(err, &e) {
			return false
		}
		fill(e, h, b)
		return true
	}
}

// is recognises target (errors.Is) and answers with its text; header, when
// set, adds the answer's headers.
func is(target error, header func(http.Header)) func(error, http.Header, *ErrorBody) bool {
	return func(err error, h http.Header, b *ErrorBody) bool {
		if !errors.Is(err, target) {
			return false
		}
		if header != nil {
			header(h)
		}
		b.Error.Message = target.Error()
		return true
	}
}

// isSaying recognises target (errors.Is) and answers msg.
func isSaying(target error, msg string) func(error, http.Header, *ErrorBody) bool {
	return func(err error, _ http.Header, b *ErrorBody) bool {
		if !errors.Is(err, target) {
			return false
		}
		b.Error.Message = msg
		return true
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
