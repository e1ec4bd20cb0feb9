package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
)

// WebhookRoute is where RunPod posts a job's final state:
// POST {public URL}/api/webhooks/runpod/{ledger id}/{signature}.
const WebhookRoute = "/api/webhooks/runpod/"

// maxWebhookBody bounds a webhook body: a final job with its images.
const maxWebhookBody = 64 << 20

// webhooks signs and checks webhook URLs. The signature is an HMAC-SHA256
// of the ledger id under a secret kept in the ledger, so only the URL sent
// to RunPod with that job is accepted, and it stays valid across restarts.
type webhooks struct {
	base string // public URL, no trailing slash
	key  []byte
}

// url is the webhook of ledger job id, or "" when no public URL is known
// (w is nil).
func (w *webhooks) url(id string) string {
	if w == nil {
		return ""
	}
	return w.base + WebhookRoute + id + "/" + w.sign(id)
}

func (w *webhooks) sign(id string) string {
	mac := hmac.New(sha256.New, w.key)
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil))
}

func (w *webhooks) valid(id, sig string) bool {
	if w == nil {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(w.sign(id))
	return hmac.Equal(got, want)
}

// handleWebhook takes RunPod's report of a job: it attaches the RunPod id
// to the row (reconciling an UNCONFIRMED job) and settles it when final.
// It is idempotent: a second delivery of the same report answers 200 and
// changes nothing (a row settles once). Unsigned or wrongly signed URLs
// answer 404, like an unknown route.
func (a *API) handleWebhook(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !a.jobs.hooks.valid(id, r.PathValue("sig")) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such API route")
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		writeRequestError(w, &RequestError{Fields: []FieldError{{"body", "could not be read in full"}}})
		return
	}
	var report runpod.Job
	if err := json.Unmarshal(data, &report); err != nil || report.ID == "" || report.Status == "" {
		writeRequestError(w, &RequestError{Fields: []FieldError{{"body", "must be a RunPod job with id and status"}}})
		return
	}
	j, err := a.ledger.Get(r.Context(), id)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, "no job with this id")
		return
	case err != nil:
		a.log.Error("webhook: read job", "job_id", id, "error", err.Error())
		writeError(w, http.StatusInternalServerError, CodeInternal, "the job could not be read")
		return
	case j.RemoteID != "" && j.RemoteID != report.ID:
		a.log.Warn("webhook: RunPod id does not match the job's", "job_id", id, "remote_id", j.RemoteID, "reported", report.ID)
		writeError(w, http.StatusConflict, CodeIdempotencyConflict, "the report is for another RunPod job")
		return
	}
	a.log.Info("webhook received", "job_id", id, "remote_id", report.ID, "status", string(report.Status), "settled", j.Settled)
	if j.Settled || j.Kind != ledger.KindCloud {
		writeJSON(w, http.StatusOK, map[string]string{"status": "already settled"})
		return
	}
	t, err := a.jobs.target(j.Target)
	if err != nil {
		writeError(w, http.StatusConflict, CodeNotFound, "the job's target is no longer configured")
		return
	}
	if report.Status.Final() {
		a.jobs.settleFromRemote(id, t, report)
	} else {
		if err := a.ledger.MarkSubmitted(r.Context(), id, report.ID, ledger.Status(report.Status)); err != nil {
			a.log.Error("webhook: attach remote id", "job_id", id, "error", err.Error())
		}
		a.jobs.follow(id, report.ID, t)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "recorded"})
}

// publicBase checks and trims a public URL for webhooks.
func publicBase(u string) string { return strings.TrimRight(u, "/") }
