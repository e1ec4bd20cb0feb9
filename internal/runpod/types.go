package runpod

import (
	"encoding/json"
	"time"
)

// SDXLInput is the input of the official worker-sdxl handler, with its JSON
// field names. Fields left at their zero value are omitted so the worker
// applies its own defaults (1024x1024, 25 steps, 50 refiner steps, guidance
// 7.5, strength 0.3, one image, scheduler DDIM, a random seed).
type SDXLInput struct {
	// Prompt describes the image. It is always sent.
	Prompt string `json:"prompt"`
	// NegativePrompt lists what the image should not show.
	NegativePrompt string `json:"negative_prompt,omitempty"`
	// Height in pixels; the worker needs a multiple of 8.
	Height int `json:"height,omitempty"`
	// Width in pixels; the worker needs a multiple of 8.
	Width int `json:"width,omitempty"`
	// Seed fixes the noise. Nil lets the worker pick one (reported in
	// [SDXLOutput.Seed]); a pointer so that seed 0 can be asked for.
	Seed *int64 `json:"seed,omitempty"`
	// Scheduler is one of PNDM, KLMS, DDIM, K_EULER, K_EULER_ANCESTRAL,
	// DPMSolverMultistep, DPMSolverSinglestep.
	Scheduler string `json:"scheduler,omitempty"`
	// NumInferenceSteps is the number of base model steps.
	NumInferenceSteps int `json:"num_inference_steps,omitempty"`
	// RefinerInferenceSteps is the number of refiner steps.
	RefinerInferenceSteps int `json:"refiner_inference_steps,omitempty"`
	// GuidanceScale is the classifier-free guidance scale.
	GuidanceScale float64 `json:"guidance_scale,omitempty"`
	// Strength is how much the refiner changes its input image (0 to 1).
	Strength float64 `json:"strength,omitempty"`
	// ImageURL turns the job into img2img: the worker runs only the refiner
	// on this image. A data URI (data:image/png;base64,...) is fine.
	ImageURL string `json:"image_url,omitempty"`
	// NumImages is how many images to make (1 or 2).
	NumImages int `json:"num_images,omitempty"`
	// HighNoiseFrac is where the base model hands over to the refiner
	// (denoising_end, 0 to 1).
	HighNoiseFrac float64 `json:"high_noise_frac,omitempty"`
	// CorrelationID is the caller's id for the job (hybridgen's ledger
	// id), sent as "hybridgen_job_id" so the job can be matched on the
	// worker's side. Not part of worker-sdxl's schema, whose validator
	// fails jobs with unknown fields: send it only to workers that accept
	// it.
	CorrelationID string `json:"hybridgen_job_id,omitempty"`
}

// Seed returns a pointer to seed, for [SDXLInput.Seed].
func Seed(seed int64) *int64 { return &seed }

// Policy is RunPod's per-job execution policy. Zero fields are left to
// RunPod's defaults. Durations travel as milliseconds; a positive duration
// shorter than a millisecond is sent as 1 ms.
type Policy struct {
	// ExecutionTimeout ends the job as TIMED_OUT when it runs longer.
	ExecutionTimeout time.Duration
	// TTL is the job's whole lifetime from submission; past it RunPod
	// forgets the job, even a running one (its /status answers 404).
	TTL time.Duration
	// LowPriority jobs do not make RunPod scale up workers.
	LowPriority bool
}

// IsZero reports whether p leaves everything to RunPod's defaults.
func (p Policy) IsZero() bool { return p == Policy{} }

type wirePolicy struct {
	ExecutionTimeout int64 `json:"executionTimeout,omitempty"`
	LowPriority      bool  `json:"lowPriority,omitempty"`
	TTL              int64 `json:"ttl,omitempty"`
}

// MarshalJSON writes RunPod's policy object, durations in milliseconds.
func (p Policy) MarshalJSON() ([]byte, error) {
	return json.Marshal(wirePolicy{
		ExecutionTimeout: millisCeil(p.ExecutionTimeout),
		LowPriority:      p.LowPriority,
		TTL:              millisCeil(p.TTL),
	})
}

// UnmarshalJSON reads RunPod's policy object.
func (p *Policy) UnmarshalJSON(b []byte) error {
	var w wirePolicy
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = Policy{
		ExecutionTimeout: time.Duration(w.ExecutionTimeout) * time.Millisecond,
		LowPriority:      w.LowPriority,
		TTL:              time.Duration(w.TTL) * time.Millisecond,
	}
	return nil
}

// millisCeil converts d to whole milliseconds, rounding a positive remainder
// up so a tiny positive duration never becomes "use the default".
func millisCeil(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// Status is a RunPod job state. Unknown states reported by a server are
// kept as they are and are not final.
type Status string

// The job states RunPod documents.
const (
	StatusInQueue    Status = "IN_QUEUE"
	StatusInProgress Status = "IN_PROGRESS"
	StatusCompleted  Status = "COMPLETED"
	StatusFailed     Status = "FAILED"
	StatusCancelled  Status = "CANCELLED"
	StatusTimedOut   Status = "TIMED_OUT"
)

// Final reports whether the job will not change state any more.
func (s Status) Final() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusTimedOut:
		return true
	}
	return false
}

// Health is the answer of GET /health: job counts and worker counts.
type Health struct {
	// Jobs counts jobs by state.
	Jobs HealthJobs `json:"jobs"`
	// Workers counts the endpoint's workers.
	Workers HealthWorkers `json:"workers"`
}

// HealthJobs are the job counts of [Health].
type HealthJobs struct {
	Completed  int `json:"completed"`  // jobs that ended COMPLETED
	Failed     int `json:"failed"`     // jobs that ended FAILED (the emulator counts TIMED_OUT too)
	InProgress int `json:"inProgress"` // jobs running now
	InQueue    int `json:"inQueue"`    // jobs waiting for a worker now
	Retried    int `json:"retried"`    // jobs requeued by /retry
}

// HealthWorkers are the worker counts of [Health].
type HealthWorkers struct {
	Idle    int `json:"idle"`    // workers ready for a job
	Running int `json:"running"` // workers busy with a job
}

// RunOptions are the optional parts of a POST /run request.
type RunOptions struct {
	// Policy is sent as the request's policy object unless it is zero.
	Policy Policy
	// Webhook, when set, is a URL RunPod POSTs the final job to.
	Webhook string
}

// RunSyncOptions are the optional parts of a POST /runsync request.
type RunSyncOptions struct {
	// Wait is how long RunPod holds the request open for the result (sent as
	// ?wait= in ms; RunPod accepts 1 s to 300 s). Zero uses RunPod's default
	// of 90 s. Past it the answer carries a job that is not final yet.
	Wait time.Duration
	// Policy is sent as the request's policy object unless it is zero.
	Policy Policy
}

// WaitOptions tune [Client.Wait].
type WaitOptions struct {
	// PollInterval is the first pause between /status polls (default
	// 500 ms). It grows by half after each poll that sees no change, and
	// starts over when the job changes state.
	PollInterval time.Duration
	// MaxInterval caps the pause between polls (default 5 s).
	MaxInterval time.Duration
	// OnUpdate, when set, is called with the job each time a poll sees a
	// state different from the previous poll's (and for the first poll).
	OnUpdate func(Job)
}
