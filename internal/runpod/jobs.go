package runpod

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// CancelTimeout bounds the POST /cancel that [Client.Wait] sends after its
// context ends.
const CancelTimeout = 5 * time.Second

type runBody struct {
	Input   SDXLInput `json:"input"`
	Webhook string    `json:"webhook,omitempty"`
	Policy  *Policy   `json:"policy,omitempty"`
}

func newRunBody(input SDXLInput, webhook string, policy Policy) runBody {
	b := runBody{Input: input, Webhook: webhook}
	if !policy.IsZero() {
		b.Policy = &policy
	}
	return b
}

// Run submits a job (POST /run) and returns it, normally IN_QUEUE. It is
// retried only on 429/503 answers and failed dials; an error after the
// request may have reached RunPod matches [ErrSubmitUncertain].
func (c *Client) Run(ctx context.Context, input SDXLInput, opts RunOptions) (Job, error) {
	var job Job
	err := c.do(ctx, request{
		op: "run", method: http.MethodPost, path: "/run",
		body: newRunBody(input, opts.Webhook, opts.Policy), mode: retrySubmit,
	}, &job)
	return c.clean(job), err
}

// RunSync submits a job and waits up to opts.Wait for it (POST /runsync).
// The job may come back not final (IN_QUEUE or IN_PROGRESS): then call
// [Client.Wait] with its ID. A job that ended FAILED, TIMED_OUT or
// CANCELLED comes back together with its *[JobError]. Retries are as for
// [Client.Run].
func (c *Client) RunSync(ctx context.Context, input SDXLInput, opts RunSyncOptions) (Job, error) {
	req := request{
		op: "runsync", method: http.MethodPost, path: "/runsync",
		body: newRunBody(input, "", opts.Policy), mode: retrySubmit,
	}
	if opts.Wait > 0 {
		req.query = url.Values{"wait": {strconv.FormatInt(millisCeil(opts.Wait), 10)}}
		req.timeout = opts.Wait
	} else {
		req.timeout = 90 * time.Second
	}
	var job Job
	if err := c.do(ctx, req, &job); err != nil {
		return c.clean(job), err
	}
	job = c.clean(job)
	return job, job.Err()
}

// Status fetches a job's state (GET /status/{id}). A FAILED job is an
// answer, not an error: check [Job.Err]. An unknown or expired job gives an
// error matching [ErrNotFound].
func (c *Client) Status(ctx context.Context, id string) (Job, error) {
	if err := checkID("status", id); err != nil {
		return Job{}, err
	}
	var job Job
	err := c.do(ctx, request{op: "status", method: http.MethodGet, path: "/status/" + url.PathEscape(id)}, &job)
	return c.clean(job), err
}

// Cancel asks RunPod to cancel a job (POST /cancel/{id}) and returns the
// state it reports. Cancelling a final job changes nothing.
func (c *Client) Cancel(ctx context.Context, id string) (Job, error) {
	if err := checkID("cancel", id); err != nil {
		return Job{}, err
	}
	var job Job
	err := c.do(ctx, request{op: "cancel", method: http.MethodPost, path: "/cancel/" + url.PathEscape(id)}, &job)
	return c.clean(job), err
}

// Retry requeues a FAILED or TIMED_OUT job under the same id
// (POST /retry/{id}).
func (c *Client) Retry(ctx context.Context, id string) (Job, error) {
	if err := checkID("retry", id); err != nil {
		return Job{}, err
	}
	var job Job
	err := c.do(ctx, request{op: "retry", method: http.MethodPost, path: "/retry/" + url.PathEscape(id)}, &job)
	return c.clean(job), err
}

// PurgeQueue removes every job still waiting in the queue
// (POST /purge-queue); running jobs go on. It returns how many were removed.
func (c *Client) PurgeQueue(ctx context.Context) (int, error) {
	var out struct {
		Removed int `json:"removed"`
	}
	err := c.do(ctx, request{op: "purge-queue", method: http.MethodPost, path: "/purge-queue"}, &out)
	return out.Removed, err
}

// Health fetches the endpoint's job and worker counts (GET /health).
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.do(ctx, request{op: "health", method: http.MethodGet, path: "/health"}, &h)
	return h, err
}

// Wait polls /status until the job is final and returns it. A job that
// ended FAILED, TIMED_OUT or CANCELLED comes back together with its
// *[JobError]. Polls back off from opts.PollInterval to opts.MaxInterval.
//
// When ctx ends first, Wait sends POST /cancel/{id} on a fresh context of
// at most [CancelTimeout], so the GPU stops billing, and returns an error
// matching ctx.Err() (context.Canceled or context.DeadlineExceeded), and
// also the cancel's error if that failed.
func (c *Client) Wait(ctx context.Context, id string, opts WaitOptions) (Job, error) {
	if err := checkID("wait", id); err != nil {
		return Job{}, err
	}
	first := opts.PollInterval
	if first <= 0 {
		first = 500 * time.Millisecond
	}
	maxInterval := max(opts.MaxInterval, first)
	if opts.MaxInterval <= 0 {
		maxInterval = max(5*time.Second, first)
	}
	interval := first
	var last Job
	for polls := 0; ; polls++ {
		job, err := c.Status(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return last, c.abandon(ctx, id)
			}
			return last, fmt.Errorf("runpod: wait for job %s: %w", id, err)
		}
		if polls == 0 || job.Status != last.Status {
			if opts.OnUpdate != nil {
				opts.OnUpdate(job)
			}
			interval = first
		} else {
			interval = min(interval+interval/2, maxInterval)
		}
		last = job
		if job.Status.Final() {
			return job, job.Err()
		}
		if err := c.sleep(ctx, interval); err != nil {
			return last, c.abandon(ctx, id)
		}
	}
}

// abandon cancels job id on RunPod after the caller's ctx ended, and
// returns an error wrapping ctx.Err().
func (c *Client) abandon(ctx context.Context, id string) error {
	cause := ctx.Err()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CancelTimeout)
	defer cancel()
	job, err := c.Cancel(cctx, id)
	if err != nil {
		c.log.Warn("runpod: cancel after abort failed", "job_id", id, "error", err.Error())
		return fmt.Errorf("runpod: wait for job %s: %w (and cancel failed: %w)", id, cause, err)
	}
	c.log.Info("runpod: cancelled job after abort", "job_id", id, "status", string(job.Status), "reason", cause.Error())
	return fmt.Errorf("runpod: wait for job %s: %w (job cancelled)", id, cause)
}

// clean scrubs the key from server text in job.
func (c *Client) clean(job Job) Job {
	job.Error = c.scrub(job.Error)
	return job
}

func checkID(op, id string) error {
	if id == "" {
		return fmt.Errorf("runpod: %s: empty job id", op)
	}
	return nil
}
