package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Body limits, as RunPod documents them.
const (
	maxRunBody     = 10 << 20
	maxRunSyncBody = 20 << 20
)

// runRequest is a decoded /run or /runsync body.
type runRequest struct {
	input   sdxlInput
	invalid []string
	policy  policy
	webhook string
}

// decodeRunRequest reads {"input": {...}, "webhook": "...", "policy": {...}}.
// A malformed envelope is an HTTP 400; a bad input is accepted and fails
// the job later, as the worker's validator does.
func decodeRunRequest(w http.ResponseWriter, r *http.Request, limit int64) (runRequest, error) {
	var body struct {
		Input   json.RawMessage `json:"input"`
		Webhook string          `json:"webhook"`
		Policy  *struct {
			ExecutionTimeout int64 `json:"executionTimeout"`
			TTL              int64 `json:"ttl"`
			LowPriority      bool  `json:"lowPriority"`
		} `json:"policy"`
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return runRequest{}, fmt.Errorf("request body is larger than %d bytes", limit)
		}
		return runRequest{}, fmt.Errorf("reading request body: %v", err)
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return runRequest{}, fmt.Errorf("request body is not valid JSON: %v", err)
	}
	if len(body.Input) == 0 || string(body.Input) == "null" {
		return runRequest{}, errors.New("input is required")
	}
	in, problems, err := parseInput(body.Input)
	if err != nil {
		return runRequest{}, err
	}
	req := runRequest{input: in, invalid: problems, webhook: body.Webhook}
	if p := body.Policy; p != nil {
		if p.ExecutionTimeout < 0 || p.TTL < 0 {
			return runRequest{}, errors.New("policy durations must not be negative")
		}
		req.policy = policy{
			executionTimeout: time.Duration(p.ExecutionTimeout) * time.Millisecond,
			ttl:              time.Duration(p.TTL) * time.Millisecond,
			lowPriority:      p.LowPriority,
		}
	}
	return req, nil
}

func (e *Emulator) handleRun(w http.ResponseWriter, r *http.Request) {
	req, err := decodeRunRequest(w, r, maxRunBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	e.mu.Lock()
	j := e.submitLocked(req, "run", time.Now())
	resp := wireJob{ID: j.id, Status: j.status}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// handleRunSync submits a job and holds the request until the job is final
// or ?wait= ms (default 90 s, at most 300 s) pass.
func (e *Emulator) handleRunSync(w http.ResponseWriter, r *http.Request) {
	wait := 90 * time.Second
	if v := r.URL.Query().Get("wait"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			writeError(w, http.StatusBadRequest, "wait must be a number of milliseconds")
			return
		}
		wait = min(time.Duration(ms)*time.Millisecond, 300*time.Second)
	}
	req, err := decodeRunRequest(w, r, maxRunSyncBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	e.mu.Lock()
	j := e.submitLocked(req, "runsync", time.Now())
	done := j.done
	e.mu.Unlock()

	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-r.Context().Done():
		return
	}
	e.mu.Lock()
	resp := j.wireLocked()
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

func (e *Emulator) handleStatus(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	e.mu.Lock()
	j, ok := e.lookupLocked(r.PathValue("id"), now)
	var resp wireJob
	if ok {
		resp = j.wireLocked()
	}
	e.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "job not found")
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleCancel moves an IN_QUEUE or IN_PROGRESS job to CANCELLED; a final
// job is left as it is.
func (e *Emulator) handleCancel(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	id := r.PathValue("id")
	e.mu.Lock()
	j, ok := e.lookupLocked(id, now)
	if !ok {
		e.reqs.Cancels = append(e.reqs.Cancels, CancelCall{JobID: id})
		e.mu.Unlock()
		writeError(w, http.StatusNotFound, "job not found")
		return
	}
	before := j.status
	if !finalStatus(j.status) {
		j.interruptLocked()
		e.finishLocked(j, statusCancelled, now)
	}
	e.reqs.Cancels = append(e.reqs.Cancels, CancelCall{JobID: id, StatusBefore: before, StatusAfter: j.status})
	resp := wireJob{ID: j.id, Status: j.status}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// handleRetry requeues a FAILED or TIMED_OUT job; other states are a 400.
func (e *Emulator) handleRetry(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	e.mu.Lock()
	j, ok := e.lookupLocked(r.PathValue("id"), now)
	if !ok {
		e.mu.Unlock()
		writeError(w, http.StatusNotFound, "job not found")
		return
	}
	if j.status != statusFailed && j.status != statusTimedOut {
		status := j.status
		e.mu.Unlock()
		writeError(w, http.StatusBadRequest, "only FAILED or TIMED_OUT jobs can be retried, job is "+status)
		return
	}
	e.retryLocked(j, now)
	resp := wireJob{ID: j.id, Status: j.status}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// handlePurge forgets every job still waiting in the queue (not those a
// worker has taken).
func (e *Emulator) handlePurge(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	waiting := append(append([]*job(nil), e.queue...), e.lowQ...)
	for _, j := range waiting {
		e.forgetLocked(j)
	}
	removed := len(waiting)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"removed": removed, "status": "completed"})
}

func (e *Emulator) handleHealth(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	e.sweepLocked(time.Now())
	h := e.healthLocked()
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, h)
}
