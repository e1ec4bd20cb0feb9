package api

import (
	"errors"
	"net/http"
	"strconv"

	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
)

// Idempotent replays carry this header, set to "true".
const headerReplayed = "Idempotent-Replayed"

// errTargetField is the answer to a target name that is not configured.
var errTargetField = fieldError("target", "is not a configured target")

// handleCreateImage starts a cloud render: 202 with the job (UNCONFIRMED
// too: the row exists and may be running, so the client follows it rather
// than retries), 200 for a replay of the same key.
func (a *API) handleCreateImage(w http.ResponseWriter, r *http.Request) (int, any, error) {
	req, err := DecodeImageRequest(http.MaxBytesReader(w, r.Body, jobs.MaxImageBodyBytes))
	if err != nil {
		return 0, nil, err
	}
	if !a.jobs.CloudConfigured() {
		return 0, nil, ErrNoCloud
	}
	job, created, err := a.jobs.Submit(r.Context(), req, identityOf(r))
	var unconfirmed *jobs.UnconfirmedError
	switch {
	case errors.Is(err, jobs.ErrUnknownTarget):
		return 0, nil, errTargetField
	case err != nil && !errors.As(err, &unconfirmed):
		return 0, nil, err
	}
	view, err := a.jobs.View(r.Context(), job)
	if err != nil {
		return 0, nil, err
	}
	if !created {
		w.Header().Set(headerReplayed, "true")
		return http.StatusOK, view, nil
	}
	w.Header().Set("Location", "/api/images/"+job.ID)
	return http.StatusAccepted, view, nil
}

// handleGetImage answers a job's view, with its image once COMPLETED.
func (a *API) handleGetImage(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	j, err := a.jobs.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	v, err := a.jobs.View(r.Context(), j)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

// handleCancelImage sends the cancel to RunPod and answers 202 with the job;
// its final state (CANCELLED, or COMPLETED if it finished first) shows on
// GET /api/images/{id} once RunPod reports it. A settled job is answered 200
// as it is.
func (a *API) handleCancelImage(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	j, err := a.jobs.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if j.Kind != ledger.KindCloud || j.Settled {
		return http.StatusOK, jobs.ViewOf(j), nil
	}
	if err := a.jobs.Cancel(r.Context(), j); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, jobs.ViewOf(j), nil
}

// handleCreateDraft records a draft rendered in the browser: 201 new, 200
// for a replay of the same key.
func (a *API) handleCreateDraft(w http.ResponseWriter, r *http.Request) (int, any, error) {
	d, err := DecodeDraftRequest(http.MaxBytesReader(w, r.Body, jobs.MaxDraftBodyBytes))
	if err != nil {
		return 0, nil, err
	}
	job, created, err := a.jobs.RecordDraft(r.Context(), d, identityOf(r))
	switch {
	case errors.Is(err, jobs.ErrUnknownTarget):
		return 0, nil, errTargetField
	case err != nil:
		return 0, nil, err
	case !created:
		w.Header().Set(headerReplayed, "true")
		return http.StatusOK, jobs.ViewOf(job), nil
	}
	return http.StatusCreated, jobs.ViewOf(job), nil
}

// handleUsage answers GET /api/usage?days=N (1-366, default 30): the UTC
// days from N-1 days ago through today.
func (a *API) handleUsage(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	days := 30
	if s := r.URL.Query().Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 366 {
			return 0, nil, fieldError("days", "must be an integer between 1 and 366")
		}
		days = n
	}
	u, err := a.jobs.Usage(r.Context(), days)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, u, nil
}
