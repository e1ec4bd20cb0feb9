package emulator

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FaultKind names an injected fault.
type FaultKind string

// The fault kinds. Besides these, "http_NNN" (NNN from 400 to 599, for
// example "http_429" or "http_500") answers that HTTP status with a JSON
// error and, with RetryAfter, a Retry-After header, without doing anything.
const (
	// FaultDrop closes the connection without an answer, before the
	// request is handled (no job is created).
	FaultDrop FaultKind = "drop"
	// FaultDropAfter handles the request (a /run creates its job), then
	// closes the connection without an answer: the ambiguous case.
	FaultDropAfter FaultKind = "drop_after"
	// FaultErrorAfter handles the request (a /run creates its job), then
	// answers HTTP 500 instead of the result: a gateway failing after
	// RunPod accepted the job, the other ambiguous case.
	FaultErrorAfter FaultKind = "error_after"
	// FaultDelayAfter handles the request (a /run creates its job), then
	// waits DelayMS before answering: a slow answer, during which the
	// caller may die with the job already created.
	FaultDelayAfter FaultKind = "delay_after"
	// FaultDelay waits DelayMS before handling the request normally.
	FaultDelay FaultKind = "delay"
	// FaultJobFailed makes the next submitted job end FAILED with Message
	// (or a default text) after it has run.
	FaultJobFailed FaultKind = "job_failed"
	// FaultJobTimedOut makes the next submitted job end TIMED_OUT: when its
	// policy's executionTimeout passes, or after its normal execution time
	// when it has none.
	FaultJobTimedOut FaultKind = "job_timed_out"
)

// HTTPFault returns the kind that answers with HTTP status code.
func HTTPFault(code int) FaultKind { return FaultKind("http_" + strconv.Itoa(code)) }

// Routes names the RunPod routes faults and request counts refer to.
var Routes = []string{"run", "runsync", "status", "cancel", "retry", "purge-queue", "health"}

// Fault is one injected fault. HTTP faults (http_NNN, drop, drop_after,
// delay) fire on requests to Route ("" matches every route); job faults
// (job_failed, job_timed_out) fire on the next job submitted through Route
// ("" for run or runsync). Pending faults fire in the order given.
type Fault struct {
	// Route is one of [Routes], or "" for any.
	Route string `json:"route,omitempty"`
	// Kind is what happens.
	Kind FaultKind `json:"kind"`
	// Count is how many times the fault fires: 0 means once, -1 means
	// every time until the faults are cleared.
	Count int `json:"count,omitempty"`
	// RetryAfter, in whole seconds, is sent as Retry-After by http_NNN.
	RetryAfter int `json:"retry_after,omitempty"`
	// DelayMS is the pause of a delay fault.
	DelayMS int `json:"delay_ms,omitempty"`
	// Message is the error text of http_NNN and job_failed.
	Message string `json:"message,omitempty"`
}

// httpStatus is the status of an http_NNN fault, or 0.
func (f Fault) httpStatus() int {
	s, ok := strings.CutPrefix(string(f.Kind), "http_")
	if !ok {
		return 0
	}
	code, err := strconv.Atoi(s)
	if err != nil || code < 400 || code > 599 {
		return 0
	}
	return code
}

func (f Fault) isJobFault() bool { return f.Kind == FaultJobFailed || f.Kind == FaultJobTimedOut }

// validate checks the fault and fills in its default count.
func (f *Fault) validate() error {
	if f.Route != "" && !slices.Contains(Routes, f.Route) {
		return fmt.Errorf("unknown route %q (want one of %s)", f.Route, strings.Join(Routes, ", "))
	}
	switch {
	case f.httpStatus() != 0, f.Kind == FaultDrop, f.Kind == FaultDropAfter, f.Kind == FaultErrorAfter, f.Kind == FaultDelay,
		f.Kind == FaultDelayAfter:
	case f.isJobFault():
		if f.Route != "" && f.Route != "run" && f.Route != "runsync" {
			return fmt.Errorf("%s faults apply to run or runsync, not %q", f.Kind, f.Route)
		}
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Count < -1 {
		return fmt.Errorf("count %d: want -1 (always), 0 (once) or more", f.Count)
	}
	if f.Count == 0 {
		f.Count = 1
	}
	if f.RetryAfter < 0 || f.DelayMS < 0 {
		return fmt.Errorf("retry_after and delay_ms must not be negative")
	}
	return nil
}

// InjectFaults adds faults after those pending. Nothing is added when one
// of them is invalid.
func (e *Emulator) InjectFaults(faults ...Fault) error {
	checked := make([]Fault, len(faults))
	for i, f := range faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("emulator: fault %d: %w", i, err)
		}
		checked[i] = f
	}
	e.mu.Lock()
	e.faults = append(e.faults, checked...)
	e.mu.Unlock()
	e.log.Info("emulator: faults injected", "count", len(checked))
	return nil
}

// PendingFaults returns the faults that have not fired their count yet.
func (e *Emulator) PendingFaults() []Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Fault{}, e.faults...)
}

// ClearFaults drops every pending fault.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	e.faults = nil
	e.mu.Unlock()
}

// takeLocked consumes one firing of the first pending fault matching.
func (e *Emulator) takeLocked(match func(Fault) bool) (Fault, bool) {
	for i, f := range e.faults {
		if !match(f) {
			continue
		}
		if f.Count > 0 {
			e.faults[i].Count--
			if e.faults[i].Count == 0 {
				e.faults = slices.Delete(e.faults, i, i+1)
			}
		}
		return f, true
	}
	return Fault{}, false
}

func (e *Emulator) takeHTTPFaultLocked(route string) (Fault, bool) {
	return e.takeLocked(func(f Fault) bool { return !f.isJobFault() && (f.Route == "" || f.Route == route) })
}

func (e *Emulator) takeJobFaultLocked(route string) (Fault, bool) {
	return e.takeLocked(func(f Fault) bool { return f.isJobFault() && (f.Route == "" || f.Route == route) })
}

// apply acts out an HTTP fault. It reports whether it answered (or
// dropped) the request; false means serve it normally.
func (f Fault) apply(w http.ResponseWriter, r *http.Request, log *slog.Logger, route string, serve func(http.ResponseWriter)) bool {
	log.Info("emulator: fault fired", "route", route, "kind", string(f.Kind))
	if code := f.httpStatus(); code != 0 {
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		msg := f.Message
		if msg == "" {
			msg = "emulator: injected " + string(f.Kind)
		}
		writeError(w, code, msg)
		return true
	}
	switch f.Kind {
	case FaultDelay:
		t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
		return false
	case FaultDropAfter:
		serve(discardWriter{h: http.Header{}})
	case FaultDelayAfter:
		rec := &recordingWriter{h: http.Header{}, status: http.StatusOK}
		serve(rec)
		t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
		for k, v := range rec.h {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
		return true
	case FaultErrorAfter:
		serve(discardWriter{h: http.Header{}})
		msg := f.Message
		if msg == "" {
			msg = "emulator: injected error after handling the request"
		}
		writeError(w, http.StatusInternalServerError, msg)
		return true
	}
	dropConnection(w)
	return true
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	_ = conn.Close()
}

// discardWriter swallows the answer of a request that will be dropped.
type discardWriter struct{ h http.Header }

// Header returns a header map nobody reads.
func (d discardWriter) Header() http.Header { return d.h }

// Write discards b.
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// WriteHeader discards the status.
func (d discardWriter) WriteHeader(int) {}

// recordingWriter keeps an answer to send later.
type recordingWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

// Header returns the answer's header map.
func (r *recordingWriter) Header() http.Header { return r.h }

// Write keeps b.
func (r *recordingWriter) Write(b []byte) (int, error) { return r.body.Write(b) }

// WriteHeader keeps the status.
func (r *recordingWriter) WriteHeader(code int) { r.status = code }
