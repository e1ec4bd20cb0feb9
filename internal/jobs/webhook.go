package jobs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
)

// WebhookRoute is where RunPod posts a job's final state:
// POST {public URL}/api/webhooks/runpod/{ledger id}/{signature}.
const WebhookRoute = "/api/webhooks/runpod/"

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

// ValidWebhook reports whether sig is the signature of ledger job id's
// webhook URL; always false without a public URL.
func (m *Manager) ValidWebhook(id, sig string) bool {
	if m.hooks == nil {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(m.hooks.sign(id))
	return hmac.Equal(got, want)
}

// Report takes RunPod's report of ledger job id (from the webhook): it
// attaches the RunPod id to the row (reconciling an UNCONFIRMED job) and
// settles it when final. It is idempotent: a second delivery changes
// nothing (a row settles once), and recorded is false for a row already
// settled. A missing row matches [ledger.ErrNotFound]; a report for another
// RunPod job than the row's is [ErrReportMismatch]; a row whose target is
// no longer configured matches [ErrUnknownTarget].
func (m *Manager) Report(ctx context.Context, id string, report runpod.Job) (recorded bool, err error) {
	j, err := m.Job(ctx, id)
	switch {
	case err != nil:
		return false, err
	case j.RemoteID != "" && j.RemoteID != report.ID:
		m.log.Warn("webhook: RunPod id does not match the job's", "job_id", id, "remote_id", j.RemoteID, "reported", report.ID)
		return false, ErrReportMismatch
	}
	m.log.Info("webhook received", "job_id", id, "remote_id", report.ID, "status", string(report.Status), "settled", j.Settled)
	if j.Settled || j.Kind != ledger.KindCloud {
		return false, nil
	}
	t, err := m.target(j.Target)
	if err != nil {
		return false, fmt.Errorf("jobs: report of %s: %w", id, err)
	}
	if report.Status.Final() {
		m.settleFromRemote(id, t, report)
		return true, nil
	}
	if err := m.ledger.MarkSubmitted(ctx, id, report.ID, ledger.Status(report.Status)); err != nil {
		m.log.Error("webhook: attach remote id", "job_id", id, "error", err.Error())
	}
	m.follow(id, report.ID, t)
	return true, nil
}
