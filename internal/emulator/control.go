package emulator

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
)

// RequestLog is what reached the emulator since it started or was reset.
type RequestLog struct {
	// Counts has one entry per route (see [Routes]): every request that
	// reached it, refused, faulted or dropped ones included.
	Counts map[string]int `json:"counts"`
	// Cancels lists the /cancel calls in order.
	Cancels []CancelCall `json:"cancels"`
	// Unauthorized counts requests refused with 401.
	Unauthorized int `json:"unauthorized"`
	// JobsCreated counts jobs created by /run and /runsync.
	JobsCreated int `json:"jobs_created"`
	// Webhooks counts webhook deliveries attempted.
	Webhooks int `json:"webhooks"`
	// WebhookURLs lists, in order, the webhook of every job created with
	// one.
	WebhookURLs []string `json:"webhook_urls"`
	// ExecutionMS is what the emulator "billed": the execution time, in
	// milliseconds, of every job that ended after it started to run, by
	// job id.
	ExecutionMS map[string]int64 `json:"execution_ms"`
}

// CancelCall is one /cancel request: the job and its state before and
// after (empty for an unknown job).
type CancelCall struct {
	JobID        string `json:"job_id"`                  // the id in the request path
	StatusBefore string `json:"status_before,omitempty"` // the job's state when the request came
	StatusAfter  string `json:"status_after,omitempty"`  // the job's state after it
}

func newRequestLog() RequestLog {
	l := RequestLog{Counts: map[string]int{}, Cancels: []CancelCall{}, WebhookURLs: []string{}, ExecutionMS: map[string]int64{}}
	for _, r := range Routes {
		l.Counts[r] = 0
	}
	return l
}

// Requests returns a copy of the request log.
func (e *Emulator) Requests() RequestLog {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.reqs
	l.Counts = maps.Clone(e.reqs.Counts)
	l.Cancels = slices.Clone(e.reqs.Cancels)
	l.WebhookURLs = slices.Clone(e.reqs.WebhookURLs)
	l.ExecutionMS = maps.Clone(e.reqs.ExecutionMS)
	return l
}

// Reset forgets every job (cancelling those in flight), the pending faults,
// the request log and the /health counts, and makes every worker cold.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, j := range e.jobs {
		j.interruptLocked()
	}
	e.jobs = map[string]*job{}
	e.queue, e.lowQ, e.faults = nil, nil, nil
	e.stats = stats{}
	e.reqs = newRequestLog()
	for _, w := range e.workers {
		w.warm = false
	}
	e.log.Info("emulator: reset")
}

func (e *Emulator) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, e.PendingFaults())
}

// handleAddFaults takes a JSON list of faults (or a single fault object).
func (e *Emulator) handleAddFaults(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	var faults []Fault
	if err := json.Unmarshal(data, &faults); err != nil {
		var one Fault
		if err2 := json.Unmarshal(data, &one); err2 != nil {
			writeError(w, http.StatusBadRequest, "want a JSON list of faults: "+err.Error())
			return
		}
		faults = []Fault{one}
	}
	if err := e.InjectFaults(faults...); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, e.PendingFaults())
}

func (e *Emulator) handleClearFaults(w http.ResponseWriter, _ *http.Request) {
	e.ClearFaults()
	writeJSON(w, http.StatusOK, []Fault{})
}

func (e *Emulator) handleRequests(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, e.Requests())
}

func (e *Emulator) handleReset(w http.ResponseWriter, _ *http.Request) {
	e.Reset()
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}
