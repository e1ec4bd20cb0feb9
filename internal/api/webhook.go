package api

import (
	"encoding/json"
	"io"
	"net/http"

	"hybridgen/internal/runpod"
)

// maxWebhookBody bounds a webhook body: a final job with its images.
const maxWebhookBody = 64 << 20

// handleWebhook takes RunPod's report of a job ([jobs.Manager.Report]).
// It is idempotent: a second delivery of the same report answers 200 and
// changes nothing. Unsigned or wrongly signed URLs answer 404, like an
// unknown route.
func (a *API) handleWebhook(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	if !a.jobs.ValidWebhook(id, r.PathValue("sig")) {
		return 0, nil, ErrNoRoute
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		return 0, nil, fieldError("body", "could not be read in full")
	}
	var report runpod.Job
	if err := json.Unmarshal(data, &report); err != nil || report.ID == "" || report.Status == "" {
		return 0, nil, fieldError("body", "must be a RunPod job with id and status")
	}
	recorded, err := a.jobs.Report(r.Context(), id, report)
	switch {
	case err != nil:
		return 0, nil, err
	case !recorded:
		return http.StatusOK, map[string]string{"status": "already settled"}, nil
	}
	return http.StatusOK, map[string]string{"status": "recorded"}, nil
}
