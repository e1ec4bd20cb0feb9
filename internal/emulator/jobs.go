package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// The job states, as RunPod names them.
const (
	statusInQueue    = "IN_QUEUE"
	statusInProgress = "IN_PROGRESS"
	statusCompleted  = "COMPLETED"
	statusFailed     = "FAILED"
	statusCancelled  = "CANCELLED"
	statusTimedOut   = "TIMED_OUT"
)

func finalStatus(s string) bool {
	switch s {
	case statusCompleted, statusFailed, statusCancelled, statusTimedOut:
		return true
	}
	return false
}

// policy is RunPod's per-job policy, durations already converted.
type policy struct {
	executionTimeout time.Duration
	ttl              time.Duration
	lowPriority      bool
}

// job is one submitted job. Fields are guarded by Emulator.mu.
type job struct {
	id      string
	input   sdxlInput
	invalid []string // validation errors: the worker fails the job
	policy  policy
	webhook string
	sync    bool // submitted with /runsync: shorter result retention
	fault   *Fault

	status   string
	created  time.Time // submission, for ttl
	queued   time.Time // submission or last retry, for delayTime
	started  time.Time
	finished time.Time
	delay    time.Duration
	exec     time.Duration
	workerID string // set when a worker takes it (it may still be cold starting)
	output   *sdxlOutput
	errText  string

	done      chan struct{} // closed when the job becomes final
	interrupt chan struct{} // closed to stop the worker running it
	stopped   bool          // interrupt is closed
}

func newJobID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:] + "-e1"
}

// interruptLocked stops the worker running j, if any.
func (j *job) interruptLocked() {
	if !j.stopped {
		j.stopped = true
		close(j.interrupt)
	}
}

// deadline is when j is forgotten: its ttl from submission while it is not
// final, the end of result retention (or ttl, when sooner) once it is.
func (j *job) deadline(retention time.Duration) time.Time {
	var d time.Time
	if j.policy.ttl > 0 {
		d = j.created.Add(j.policy.ttl)
	}
	if finalStatus(j.status) {
		if j.sync {
			retention = min(retention, time.Minute)
		}
		r := j.finished.Add(retention)
		if d.IsZero() || r.Before(d) {
			d = r
		}
	}
	return d
}

// wireJob is the JSON RunPod answers for a job.
type wireJob struct {
	DelayTime     *int64      `json:"delayTime,omitempty"`
	ExecutionTime *int64      `json:"executionTime,omitempty"`
	ID            string      `json:"id"`
	Output        *sdxlOutput `json:"output,omitempty"`
	Status        string      `json:"status"`
	WorkerID      string      `json:"workerId,omitempty"`
	Error         string      `json:"error,omitempty"`
}

func millis(d time.Duration) *int64 {
	ms := d.Round(time.Millisecond).Milliseconds()
	return &ms
}

// wireLocked is j as /status reports it.
func (j *job) wireLocked() wireJob {
	w := wireJob{ID: j.id, Status: j.status, Output: j.output, Error: j.errText, WorkerID: j.workerID}
	if !j.started.IsZero() {
		w.DelayTime = millis(j.delay)
	}
	if finalStatus(j.status) && !j.started.IsZero() {
		w.ExecutionTime = millis(j.exec)
	}
	return w
}

// stats are the cumulative /health counts.
type stats struct {
	completed, failed, retried int
}

// submitLocked creates a job and queues it.
func (e *Emulator) submitLocked(req runRequest, route string, now time.Time) *job {
	sync := route == "runsync"
	e.sweepLocked(now) // bounds memory in long development runs
	j := &job{
		id: newJobID(), input: req.input, invalid: req.invalid, policy: req.policy,
		webhook: req.webhook, sync: sync, status: statusInQueue,
		created: now, queued: now,
		done: make(chan struct{}), interrupt: make(chan struct{}),
	}
	if f, ok := e.takeJobFaultLocked(route); ok {
		j.fault = &f
	}
	e.jobs[j.id] = j
	e.reqs.JobsCreated++
	if j.webhook != "" {
		e.reqs.WebhookURLs = append(e.reqs.WebhookURLs, j.webhook)
	}
	e.enqueueLocked(j)
	e.log.Debug("emulator: job queued", "job_id", j.id, "sync", sync)
	return j
}

func (e *Emulator) enqueueLocked(j *job) {
	if j.policy.lowPriority {
		e.lowQ = append(e.lowQ, j)
	} else {
		e.queue = append(e.queue, j)
	}
	e.cond.Signal()
}

// lookupLocked finds a job that has not expired.
func (e *Emulator) lookupLocked(id string, now time.Time) (*job, bool) {
	j, ok := e.jobs[id]
	if !ok {
		return nil, false
	}
	if d := j.deadline(e.cfg.ResultRetention); !d.IsZero() && !now.Before(d) {
		e.forgetLocked(j)
		return nil, false
	}
	return j, true
}

// sweepLocked forgets every expired job.
func (e *Emulator) sweepLocked(now time.Time) {
	for id := range e.jobs {
		e.lookupLocked(id, now)
	}
}

// forgetLocked removes j everywhere and stops its worker.
func (e *Emulator) forgetLocked(j *job) {
	delete(e.jobs, j.id)
	e.queue = removeJob(e.queue, j)
	e.lowQ = removeJob(e.lowQ, j)
	j.interruptLocked()
	e.log.Debug("emulator: job forgotten", "job_id", j.id, "status", j.status)
}

func removeJob(q []*job, j *job) []*job {
	for i, x := range q {
		if x == j {
			return append(q[:i], q[i+1:]...)
		}
	}
	return q
}

// finishLocked moves j to a final status.
func (e *Emulator) finishLocked(j *job, status string, now time.Time) {
	if finalStatus(j.status) {
		return
	}
	if !j.started.IsZero() {
		j.exec = now.Sub(j.started)
		e.reqs.ExecutionMS[j.id] = *millis(j.exec) // as /status reports it
	}
	j.status = status
	j.finished = now
	e.queue = removeJob(e.queue, j)
	e.lowQ = removeJob(e.lowQ, j)
	switch status {
	case statusCompleted:
		e.stats.completed++
	case statusFailed, statusTimedOut:
		e.stats.failed++
	}
	close(j.done)
	e.log.Debug("emulator: job final", "job_id", j.id, "status", status, "delay", j.delay, "execution", j.exec)
	if j.webhook != "" {
		e.deliverWebhook(j.webhook, j.wireLocked())
	}
}

// retryLocked requeues a FAILED or TIMED_OUT job under the same id.
func (e *Emulator) retryLocked(j *job, now time.Time) {
	*j = job{
		id: j.id, input: j.input, invalid: j.invalid, policy: j.policy, webhook: j.webhook, sync: j.sync,
		status: statusInQueue, created: j.created, queued: now,
		done: make(chan struct{}), interrupt: make(chan struct{}),
	}
	e.stats.retried++
	e.enqueueLocked(j)
}

// healthLocked counts jobs and workers.
func (e *Emulator) healthLocked() wireHealth {
	var h wireHealth
	h.Jobs.Completed, h.Jobs.Failed, h.Jobs.Retried = e.stats.completed, e.stats.failed, e.stats.retried
	for _, j := range e.jobs {
		switch j.status {
		case statusInQueue:
			h.Jobs.InQueue++
		case statusInProgress:
			h.Jobs.InProgress++
		}
	}
	for _, w := range e.workers {
		if w.busy {
			h.Workers.Running++
		} else {
			h.Workers.Idle++
		}
	}
	return h
}

type wireHealth struct {
	Jobs struct {
		Completed  int `json:"completed"`
		Failed     int `json:"failed"`
		InProgress int `json:"inProgress"`
		InQueue    int `json:"inQueue"`
		Retried    int `json:"retried"`
	} `json:"jobs"`
	Workers struct {
		Idle    int `json:"idle"`
		Running int `json:"running"`
	} `json:"workers"`
}

// deliverWebhook posts the final job to its webhook, once, in the
// background.
func (e *Emulator) deliverWebhook(url string, body wireJob) {
	data, err := json.Marshal(body)
	if err != nil || e.closed {
		return
	}
	e.reqs.Webhooks++
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		resp, err := e.hook.Post(url, "application/json", bytes.NewReader(data))
		if err != nil {
			e.log.Warn("emulator: webhook failed", "job_id", body.ID, "error", err)
			return
		}
		resp.Body.Close()
		e.log.Debug("emulator: webhook delivered", "job_id", body.ID, "status", resp.StatusCode)
	}()
}
