package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"hybridgen/internal/ledger"
)

// Idempotent replays carry this header, set to "true".
const headerReplayed = "Idempotent-Replayed"

func (a *API) handleCreateImage(w http.ResponseWriter, r *http.Request) {
	req, err := DecodeImageRequest(http.MaxBytesReader(w, r.Body, MaxImageBodyBytes))
	var re *RequestError
	if errors.As(err, &re) {
		writeRequestError(w, re)
		return
	}
	if !a.CloudConfigured() {
		writeError(w, http.StatusServiceUnavailable, CodeCloudUnavailable,
			"no cloud target is configured: render High Quality locally")
		return
	}
	if _, err := a.jobs.target(req.Target); err != nil {
		writeRequestError(w, &RequestError{Fields: []FieldError{{"target", "is not a configured target"}}})
		return
	}
	job, created, err := a.jobs.submit(r.Context(), req, identityOf(r))
	var (
		rateErr        *RateLimitError
		budgetErr      *BudgetError
		submitErr      *SubmitError
		unconfirmedErr *UnconfirmedError
	)
	switch {
	case err == nil:
	case errors.As(err, &unconfirmedErr):
		// The row exists and may be running: answer it like an accepted
		// job, UNCONFIRMED, so the client follows it rather than retries.
	case errors.As(err, &rateErr):
		secs := int(math.Ceil(rateErr.RetryAfter.Seconds()))
		secs = max(secs, 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSON(w, http.StatusTooManyRequests, ErrorBody{Error: ErrorDetail{
			Code: CodeRateLimited, Message: rateErr.Error(), RetryAfterSeconds: secs}})
		return
	case errors.As(err, &budgetErr):
		writeError(w, http.StatusPaymentRequired, CodeBudgetExceeded, budgetErr.Error())
		return
	case errors.Is(err, ErrIdempotencyConflict):
		writeError(w, http.StatusConflict, CodeIdempotencyConflict,
			"idempotency_key was already used by this client for a different request (job "+job.ID+")")
		return
	case errors.As(err, &submitErr):
		writeJSON(w, http.StatusBadGateway, struct {
			ErrorBody
			Job JobView `json:"job"`
		}{ErrorBody{ErrorDetail{Code: CodeUpstream, Message: "the cloud target refused the job: " + userReason(submitErr.Err) +
			": nothing was charged"}}, viewOf(submitErr.Job)})
		return
	default:
		a.log.Error("create image", "error", err.Error())
		writeError(w, http.StatusInternalServerError, CodeInternal, "the job could not be recorded")
		return
	}
	view, err := a.view(r, job)
	if err != nil {
		a.log.Error("read job", "job_id", job.ID, "error", err.Error())
		writeError(w, http.StatusInternalServerError, CodeInternal, "the job could not be read")
		return
	}
	if !created {
		w.Header().Set(headerReplayed, "true")
		writeJSON(w, http.StatusOK, view)
		return
	}
	w.Header().Set("Location", "/api/images/"+job.ID)
	writeJSON(w, http.StatusAccepted, view)
}

// view renders j with its stored output.
func (a *API) view(r *http.Request, j ledger.Job) (JobView, error) {
	v := viewOf(j)
	v.Reconciling = !j.Settled && a.jobs.isReconciling(j.ID)
	if j.Status == ledger.StatusCompleted && j.Kind == ledger.KindCloud {
		img, seed, ok, err := a.ledger.Output(r.Context(), j.ID)
		if err != nil {
			return v, err
		}
		if ok {
			v.Image, v.Seed = img, &seed
		}
	}
	return v, nil
}

func (a *API) lookup(w http.ResponseWriter, r *http.Request) (ledger.Job, bool) {
	id := r.PathValue("id")
	j, err := a.ledger.Get(r.Context(), id)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, "no job with this id")
		return j, false
	case err != nil:
		a.log.Error("read job", "error", err.Error())
		writeError(w, http.StatusInternalServerError, CodeInternal, "the job could not be read")
		return j, false
	}
	return j, true
}

func (a *API) handleGetImage(w http.ResponseWriter, r *http.Request) {
	j, ok := a.lookup(w, r)
	if !ok {
		return
	}
	v, err := a.view(r, j)
	if err != nil {
		a.log.Error("read output", "job_id", j.ID, "error", err.Error())
		writeError(w, http.StatusInternalServerError, CodeInternal, "the job could not be read")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// handleCancelImage sends the cancel to RunPod and answers 202 with the job;
// its final state (CANCELLED, or COMPLETED if it finished first) shows on
// GET /api/images/{id} once RunPod reports it. A settled job is answered 200
// as it is.
func (a *API) handleCancelImage(w http.ResponseWriter, r *http.Request) {
	j, ok := a.lookup(w, r)
	if !ok {
		return
	}
	if j.Kind != ledger.KindCloud || j.Settled {
		writeJSON(w, http.StatusOK, viewOf(j))
		return
	}
	err := a.jobs.cancel(r.Context(), j)
	switch {
	case errors.Is(err, ErrNotCancellable):
		writeError(w, http.StatusConflict, CodeNotCancellable, err.Error())
		return
	case err != nil:
		a.log.Warn("cancel failed", "job_id", j.ID, "error", err.Error())
		writeError(w, http.StatusBadGateway, CodeUpstream, "the cloud target did not accept the cancel: "+userReason(err))
		return
	}
	writeJSON(w, http.StatusAccepted, viewOf(j))
}

// handleCreateDraft records work done in the browser: cost 0, and the
// avoided cost of the same work on the cloud target (the default one unless
// the body names another). A draft avoids the image at the default step
// count; an edit (upscale, background removal) one step's worth of the
// target's time at the output size, at least its one-second minimum: the
// GPU time a comparable image-to-image network takes there. With no cloud
// target configured nothing is avoided.
func (a *API) handleCreateDraft(w http.ResponseWriter, r *http.Request) {
	d, err := DecodeDraftRequest(http.MaxBytesReader(w, r.Body, MaxDraftBodyBytes))
	var re *RequestError
	if errors.As(err, &re) {
		writeRequestError(w, re)
		return
	}
	var avoided ledger.Micros
	if a.CloudConfigured() || d.Target != "" {
		t, err := a.jobs.target(d.Target)
		if err != nil {
			writeRequestError(w, &RequestError{Fields: []FieldError{{"target", "is not a configured target"}}})
			return
		}
		avoided = ledger.CostOf(t.cfg.PricePerSecondUSD, t.cfg.Estimate(d.Width, d.Height, avoidedSteps(d.Task)))
	}
	fingerprint := fmt.Appendf(nil, "%d|%d|%d|%s|%s", d.Width, d.Height, d.Steps, d.Model, d.Target)
	if d.Task != ledger.TaskGenerate { // drafts keep the fingerprint older rows have
		fingerprint = fmt.Appendf(fingerprint, "|%s", d.Task)
	}
	sum := sha256.Sum256(fingerprint)
	job, created, err := a.ledger.CreateOrGet(r.Context(), ledger.NewJob{
		ID: newJobID("drf_"), Identity: identityOf(r).Name, ClientID: d.ClientID, IdempotencyKey: d.IdempotencyKey,
		RequestHash: hex.EncodeToString(sum[:16]), Target: "local", Model: d.Model,
		Width: d.Width, Height: d.Height, Steps: d.Steps, Kind: ledger.KindLocal, Task: d.Task,
		Status: ledger.StatusCompleted, AvoidedCost: avoided,
	})
	if err != nil {
		a.log.Error("record draft", "error", err.Error())
		writeError(w, http.StatusInternalServerError, CodeInternal, "the draft could not be recorded")
		return
	}
	if !created {
		if job.Kind != ledger.KindLocal || job.RequestHash != hex.EncodeToString(sum[:16]) {
			writeError(w, http.StatusConflict, CodeIdempotencyConflict,
				"idempotency_key was already used by this client for a different request")
			return
		}
		w.Header().Set(headerReplayed, "true")
		writeJSON(w, http.StatusOK, viewOf(job))
		return
	}
	writeJSON(w, http.StatusCreated, viewOf(job))
}

// avoidedSteps is the step count a local job's avoided cost is priced at.
func avoidedSteps(task ledger.Task) int {
	if task == ledger.TaskGenerate {
		return DefaultSteps
	}
	return 1
}

// handleUsage answers GET /api/usage?days=N (1-366, default 30): the UTC
// days from N-1 days ago through today.
func (a *API) handleUsage(w http.ResponseWriter, r *http.Request) {
	days := 30
	if s := r.URL.Query().Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 366 {
			writeRequestError(w, &RequestError{Fields: []FieldError{{"days", "must be an integer between 1 and 366"}}})
			return
		}
		days = n
	}
	since, until := UsageWindow(a.now(), days)
	u, err := a.ledger.Usage(r.Context(), since, until)
	if err != nil {
		a.log.Error("usage", "error", err.Error())
		writeError(w, http.StatusInternalServerError, CodeInternal, "usage could not be read")
		return
	}
	writeJSON(w, http.StatusOK, NewUsageView(u))
}

// UsageWindow is the window of the last days UTC days, today included.
func UsageWindow(now time.Time, days int) (since, until time.Time) {
	_, until = ledger.DayWindow(now)
	return until.AddDate(0, 0, -days), until
}
