package runpod

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Job is what RunPod reports about a job: the answer of /run, /runsync,
// /status and /cancel. DelayTime and ExecutionTime are what RunPod bills
// from; they are zero until RunPod reports them.
type Job struct {
	// ID is RunPod's job id.
	ID string
	// Status is the job's state.
	Status Status
	// DelayTime is the time the job waited for a worker, cold start
	// included (RunPod's delayTime, reported in ms).
	DelayTime time.Duration
	// ExecutionTime is the time a worker ran the job (RunPod's
	// executionTime, reported in ms).
	ExecutionTime time.Duration
	// WorkerID names the worker that ran the job.
	WorkerID string
	// Output is the worker's result, nil until the job has one.
	Output *SDXLOutput
	// Error is the worker's or RunPod's error text for a failed job. A
	// non-string error value is kept as its compact JSON text.
	Error string
}

// Err returns a *[JobError] for a job that ended FAILED, TIMED_OUT or
// CANCELLED, and nil for any other state.
func (j Job) Err() error {
	switch j.Status {
	case StatusFailed, StatusTimedOut, StatusCancelled:
		return &JobError{Job: j}
	}
	return nil
}

// SDXLOutput is the output of the worker-sdxl handler. Decoding also accepts
// worker-sdxl-turbo's shape, images: [{image, seed}], turning its bare
// base64 images into data URIs.
type SDXLOutput struct {
	// Images are data URIs (data:image/png;base64,...) or, when the worker
	// uploads to a bucket, URLs.
	Images []string
	// ImageURL is the first image, as worker-sdxl reports it.
	ImageURL string
	// Seed is the seed the worker used.
	Seed int64
}

type wireJob struct {
	ID            string          `json:"id"`
	Status        Status          `json:"status"`
	DelayTime     json.RawMessage `json:"delayTime,omitempty"`
	ExecutionTime json.RawMessage `json:"executionTime,omitempty"`
	WorkerID      string          `json:"workerId,omitempty"`
	Output        json.RawMessage `json:"output,omitempty"`
	Error         json.RawMessage `json:"error,omitempty"`
}

type wireJobOut struct {
	ID            string      `json:"id"`
	Status        Status      `json:"status"`
	DelayTime     int64       `json:"delayTime,omitempty"`
	ExecutionTime int64       `json:"executionTime,omitempty"`
	WorkerID      string      `json:"workerId,omitempty"`
	Output        *SDXLOutput `json:"output,omitempty"`
	Error         string      `json:"error,omitempty"`
}

// MarshalJSON writes the job as RunPod's /status answer does, durations in
// milliseconds.
func (j Job) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireJobOut{
		ID:            j.ID,
		Status:        j.Status,
		DelayTime:     j.DelayTime.Milliseconds(),
		ExecutionTime: j.ExecutionTime.Milliseconds(),
		WorkerID:      j.WorkerID,
		Output:        j.Output,
		Error:         j.Error,
	})
}

// UnmarshalJSON reads a RunPod job answer. It needs an id and a status.
// When only the output is malformed, the other fields are still set and the
// error matches [ErrMalformedResponse].
func (j *Job) UnmarshalJSON(b []byte) error {
	var w wireJob
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("%w: job: %v", ErrMalformedResponse, err)
	}
	if w.ID == "" || w.Status == "" {
		return fmt.Errorf("%w: job: missing id or status", ErrMalformedResponse)
	}
	delay, err := decodeMillis(w.DelayTime)
	if err != nil {
		return fmt.Errorf("%w: job delayTime: %v", ErrMalformedResponse, err)
	}
	exec, err := decodeMillis(w.ExecutionTime)
	if err != nil {
		return fmt.Errorf("%w: job executionTime: %v", ErrMalformedResponse, err)
	}
	*j = Job{ID: w.ID, Status: w.Status, DelayTime: delay, ExecutionTime: exec, WorkerID: w.WorkerID}
	j.Error = decodeErrorText(w.Error)
	if isNull(w.Output) {
		return nil
	}
	var out SDXLOutput
	if err := json.Unmarshal(w.Output, &out); err != nil {
		return fmt.Errorf("%w: job %s output: %v", ErrMalformedResponse, w.ID, err)
	}
	j.Output = &out
	return nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// maxMillis is the largest millisecond count a time.Duration can hold.
const maxMillis = float64(math.MaxInt64 / int64(time.Millisecond))

// decodeMillis reads a JSON number of milliseconds (integer or not; absent
// or null is zero), rounding to whole milliseconds. Negative values are
// clamped to zero; values a time.Duration cannot hold are an error.
func decodeMillis(raw json.RawMessage) (time.Duration, error) {
	if isNull(raw) {
		return 0, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, err
	}
	f = math.Round(f)
	switch {
	case f <= 0:
		return 0, nil
	case f > maxMillis:
		return 0, fmt.Errorf("%g ms is out of range", f)
	}
	return time.Duration(int64(f)) * time.Millisecond, nil
}

// decodeErrorText keeps a JSON string as its text and anything else but
// null as compact JSON. Invalid UTF-8 in that JSON becomes U+FFFD, as it does
// in a decoded string, so the text survives being encoded again unchanged.
func decodeErrorText(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	return strings.ToValidUTF8(buf.String(), "\uFFFD")
}

type wireOutput struct {
	Images   []json.RawMessage `json:"images,omitempty"`
	ImageURL string            `json:"image_url,omitempty"`
	Seed     *int64            `json:"seed,omitempty"`
}

type wireTurboImage struct {
	Image string `json:"image"`
	Seed  *int64 `json:"seed"`
}

// MarshalJSON writes the worker-sdxl output shape.
func (o SDXLOutput) MarshalJSON() ([]byte, error) {
	type plain struct {
		Images   []string `json:"images,omitempty"`
		ImageURL string   `json:"image_url,omitempty"`
		Seed     int64    `json:"seed,omitempty"`
	}
	return json.Marshal(plain(o))
}

// UnmarshalJSON reads the worker-sdxl output shape and worker-sdxl-turbo's
// images: [{image, seed}]. An empty image list decodes as nil.
func (o *SDXLOutput) UnmarshalJSON(b []byte) error {
	var w wireOutput
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := SDXLOutput{ImageURL: w.ImageURL}
	if w.Seed != nil {
		out.Seed = *w.Seed
	}
	for i, raw := range w.Images {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			out.Images = append(out.Images, s)
			continue
		}
		var t wireTurboImage
		if err := json.Unmarshal(raw, &t); err != nil || bytes.HasPrefix(bytes.TrimSpace(raw), []byte("null")) {
			return fmt.Errorf("images[%d]: want a string or {image, seed}", i)
		}
		out.Images = append(out.Images, asImageURI(t.Image))
		if w.Seed == nil && t.Seed != nil && i == 0 {
			out.Seed = *t.Seed
		}
	}
	*o = out
	return nil
}

// asImageURI turns worker-sdxl-turbo's bare base64 PNG into a data URI and
// leaves data URIs and URLs alone.
func asImageURI(s string) string {
	if strings.HasPrefix(s, "data:") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return s
	}
	return "data:image/png;base64," + s
}
