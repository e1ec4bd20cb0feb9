package runpod

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image/png"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/emulator"
)

func TestRunWaitCompletesWithImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{ColdStart: 20 * time.Millisecond, ExecutionTime: 30 * time.Millisecond})
	ctx := testContext(t)
	job, err := e.client.Run(ctx, SDXLInput{Prompt: "a lighthouse", NegativePrompt: "blur", Width: 512, Height: 384,
		Seed: Seed(0), NumInferenceSteps: 50, GuidanceScale: 6}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if job.ID == "" || job.Status != StatusInQueue {
		t.Fatalf("run = %+v", job)
	}
	var seen []Status
	opts := fastWait
	opts.OnUpdate = func(j Job) { seen = append(seen, j.Status) }
	done, err := e.client.Wait(ctx, job.ID, opts)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != StatusCompleted || done.ID != job.ID || done.WorkerID == "" {
		t.Fatalf("job = %+v", done)
	}
	if len(seen) == 0 || seen[len(seen)-1] != StatusCompleted {
		t.Errorf("OnUpdate saw %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] == seen[i-1] {
			t.Errorf("OnUpdate repeated %s: %v", seen[i], seen)
		}
	}
	// Cold start counts as delay; 50 steps run twice the 25-step time.
	if done.DelayTime < 20*time.Millisecond || done.ExecutionTime < 60*time.Millisecond {
		t.Errorf("delay %v, execution %v", done.DelayTime, done.ExecutionTime)
	}
	out := done.Output
	if out == nil || len(out.Images) != 1 || out.ImageURL != out.Images[0] || out.Seed != 0 {
		t.Fatalf("output = %.200v", out)
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(out.Images[0], "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 512 || cfg.Height != 384 {
		t.Fatalf("png %+v, %v", cfg, err)
	}
}

func TestRunRetries429ThenSucceeds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{})
	e.inject(t, emulator.Fault{Route: "run", Kind: emulator.HTTPFault(429), Count: 2})
	job, err := e.client.Run(testContext(t), smallInput("x"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Wait(testContext(t), job.ID, fastWait); err != nil {
		t.Fatal(err)
	}
	if l := e.emu.Requests(); l.Counts["run"] != 3 || l.JobsCreated != 1 {
		t.Errorf("run requests %d, jobs %d; want 3 and 1", l.Counts["run"], l.JobsCreated)
	}
	if n := strings.Count(e.logs.String(), "runpod: retrying"); n != 2 {
		t.Errorf("%d retries logged, want 2", n)
	}
}

func TestRunIsNotRetriedWhenItMayHaveBeenAccepted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault emulator.Fault
		want  error
		jobs  int
	}{
		{emulator.Fault{Route: "run", Kind: emulator.HTTPFault(500)}, ErrServer, 0},
		{emulator.Fault{Route: "run", Kind: emulator.FaultDrop}, ErrSubmitUncertain, 0},
		{emulator.Fault{Route: "run", Kind: emulator.FaultDropAfter}, ErrSubmitUncertain, 1},
		{emulator.Fault{Route: "runsync", Kind: emulator.FaultDropAfter}, ErrSubmitUncertain, 1},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault.Kind)+"_"+tc.fault.Route, func(t *testing.T) {
			e := newEnv(t, emulator.Config{})
			e.inject(t, tc.fault)
			var err error
			if tc.fault.Route == "run" {
				_, err = e.client.Run(testContext(t), smallInput("x"), RunOptions{})
			} else {
				_, err = e.client.RunSync(testContext(t), smallInput("x"), RunSyncOptions{Wait: time.Second})
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			l := e.emu.Requests()
			if l.Counts[tc.fault.Route] != 1 || l.JobsCreated != tc.jobs {
				t.Errorf("%d requests, %d jobs; want 1 request (no retry) and %d jobs", l.Counts[tc.fault.Route], l.JobsCreated, tc.jobs)
			}
		})
	}
}

func TestRunRetries503(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{})
	e.inject(t, emulator.Fault{Route: "run", Kind: emulator.HTTPFault(503)})
	if _, err := e.client.Run(testContext(t), smallInput("x"), RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if l := e.emu.Requests(); l.Counts["run"] != 2 || l.JobsCreated != 1 {
		t.Errorf("log = %+v", l)
	}
}

func TestStatusRetriedAfter500AndDrop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{ExecutionTime: 20 * time.Millisecond})
	ctx := testContext(t)
	job, err := e.client.Run(ctx, smallInput("x"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.inject(t, emulator.Fault{Route: "status", Kind: emulator.HTTPFault(500)},
		emulator.Fault{Route: "status", Kind: emulator.FaultDrop},
		emulator.Fault{Route: "status", Kind: emulator.HTTPFault(502)})
	done, err := e.client.Wait(ctx, job.ID, fastWait)
	if err != nil || done.Status != StatusCompleted {
		t.Fatalf("wait: %+v, %v", done, err)
	}
	if len(e.emu.PendingFaults()) != 0 {
		t.Error("not every status fault fired")
	}
	// The 500 and the 502 are retried by the client; a drop on a reused
	// keep-alive connection may already be retried by net/http's transport
	// for a GET, so it is not counted here.
	if n := strings.Count(e.logs.String(), "runpod: retrying"); n < 2 {
		t.Errorf("%d retries logged, want >= 2", n)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{})
	e.inject(t, emulator.Fault{Route: "health", Kind: emulator.HTTPFault(500), Count: -1})
	_, err := e.client.Health(testContext(t))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Op != "health" || !errors.Is(err, ErrServer) {
		t.Fatalf("err = %v", err)
	}
	if n := e.emu.Requests().Counts["health"]; n != 4 {
		t.Errorf("%d attempts, want MaxAttempts = 4", n)
	}
}

func TestJobFailuresAreTyped(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault  emulator.Fault
		policy Policy
		want   error
		status Status
	}{
		{emulator.Fault{Kind: emulator.FaultJobFailed, Message: "CUDA out of memory"}, Policy{}, ErrJobFailed, StatusFailed},
		{emulator.Fault{Kind: emulator.FaultJobTimedOut}, Policy{}, ErrJobTimedOut, StatusTimedOut},
		{emulator.Fault{Kind: emulator.FaultJobTimedOut}, Policy{ExecutionTimeout: 15 * time.Millisecond}, ErrJobTimedOut, StatusTimedOut},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault.Kind), func(t *testing.T) {
			e := newEnv(t, emulator.Config{ExecutionTime: 10 * time.Millisecond})
			e.inject(t, tc.fault)
			job, err := e.client.Run(testContext(t), smallInput("x"), RunOptions{Policy: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			done, err := e.client.Wait(testContext(t), job.ID, fastWait)
			var jobErr *JobError
			if !errors.Is(err, tc.want) || !errors.As(err, &jobErr) {
				t.Fatalf("err = %v, want a *JobError matching %v", err, tc.want)
			}
			if jobErr.Job.Status != tc.status || done.Status != tc.status || done.ExecutionTime <= 0 {
				t.Errorf("job = %+v", done)
			}
			if tc.fault.Message != "" && !strings.Contains(err.Error(), tc.fault.Message) {
				t.Errorf("error %q lacks the worker's message", err)
			}
		})
	}
}

func TestBadInputEndsFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{})
	job, err := e.client.Run(testContext(t), SDXLInput{Prompt: "x", Width: 100, Height: 100}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Wait(testContext(t), job.ID, fastWait)
	if !errors.Is(err, ErrJobFailed) || !strings.Contains(err.Error(), "divisible by 8") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnauthorizedIsTypedAndNotRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{}, func(c *ClientConfig) { c.APIKey = "rpa_wrong" })
	_, err := e.client.Run(testContext(t), smallInput("x"), RunOptions{})
	var apiErr *APIError
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Op != "run" {
		t.Fatalf("err = %v", err)
	}
	if l := e.emu.Requests(); l.Counts["run"] != 1 || l.Unauthorized != 1 {
		t.Errorf("log = %+v", l)
	}
}

func TestUnknownJobIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{})
	if _, err := e.client.Status(testContext(t), "no-such-job"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	if _, err := e.client.Status(testContext(t), ""); err == nil {
		t.Fatal("empty id accepted")
	}
}

func TestWaitCancelsTheJobWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{ExecutionTime: 10 * time.Second})
	job, err := e.client.Run(testContext(t), smallInput("x"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testContext(t))
	opts := fastWait
	opts.OnUpdate = func(j Job) {
		if j.Status == StatusInProgress {
			time.Sleep(20 * time.Millisecond) // let it run, so there is time to bill
			cancel()
		}
	}
	_, err = e.client.Wait(ctx, job.ID, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	cancels := e.emu.Requests().Cancels
	want := emulator.CancelCall{JobID: job.ID, StatusBefore: "IN_PROGRESS", StatusAfter: "CANCELLED"}
	if len(cancels) != 1 || cancels[0] != want {
		t.Fatalf("cancels = %+v, want [%+v]", cancels, want)
	}
	final, err := e.client.Status(testContext(t), job.ID)
	if err != nil || final.Status != StatusCancelled || final.ExecutionTime < 20*time.Millisecond {
		t.Errorf("status after cancel = %+v, %v", final, err)
	}
	if !errors.Is(final.Err(), ErrJobCancelled) {
		t.Errorf("Err() = %v", final.Err())
	}
}

func TestWaitDeadlineAlsoCancels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{ExecutionTime: 10 * time.Second})
	job, err := e.client.Run(testContext(t), smallInput("x"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := e.client.Wait(ctx, job.ID, fastWait); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if c := e.emu.Requests().Cancels; len(c) != 1 || c[0].JobID != job.ID || c[0].StatusAfter != "CANCELLED" {
		t.Errorf("cancels = %+v", c)
	}
}

func TestRunSyncNotFinalThenPoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{ExecutionTime: 200 * time.Millisecond})
	ctx := testContext(t)
	job, err := e.client.RunSync(ctx, smallInput("slow"), RunSyncOptions{Wait: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status.Final() || job.Output != nil {
		t.Fatalf("runsync = %+v, want a job still running", job)
	}
	done, err := e.client.Wait(ctx, job.ID, fastWait)
	if err != nil || done.Status != StatusCompleted || done.Output == nil {
		t.Fatalf("wait = %+v, %v", done, err)
	}

	quick := smallInput("quick")
	quick.NumInferenceSteps = 1
	job, err = e.client.RunSync(ctx, quick, RunSyncOptions{Wait: 5 * time.Second})
	if err != nil || job.Status != StatusCompleted || job.Output == nil || len(job.Output.Images) != 1 {
		t.Fatalf("runsync = %+v, %v", job.Status, err)
	}

	e.inject(t, emulator.Fault{Route: "runsync", Kind: emulator.FaultJobFailed})
	job, err = e.client.RunSync(ctx, quick, RunSyncOptions{Wait: 5 * time.Second})
	if !errors.Is(err, ErrJobFailed) || job.Status != StatusFailed {
		t.Fatalf("runsync failed job = %+v, %v", job, err)
	}
}

func TestHealthCountsAndQueueControl(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{ExecutionTime: 10 * time.Second})
	ctx := testContext(t)
	running, _ := e.client.Run(ctx, smallInput("a"), RunOptions{})
	var err error
	for {
		var j Job
		if j, err = e.client.Status(ctx, running.ID); err != nil || j.Status == StatusInProgress {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	queued, _ := e.client.Run(ctx, smallInput("b"), RunOptions{Policy: Policy{LowPriority: true}})
	h, err := e.client.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Jobs.InProgress != 1 || h.Jobs.InQueue != 1 || h.Workers.Running != 1 || h.Workers.Idle != 0 {
		t.Errorf("health = %+v", h)
	}
	if n, err := e.client.PurgeQueue(ctx); err != nil || n != 1 {
		t.Errorf("purge = %d, %v", n, err)
	}
	if _, err := e.client.Status(ctx, queued.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("purged job: %v", err)
	}
	if j, err := e.client.Cancel(ctx, running.ID); err != nil || j.Status != StatusCancelled {
		t.Errorf("cancel = %+v, %v", j, err)
	}
	// The cancelled job's worker frees itself asynchronously (as on RunPod): wait for it, bounded.
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, err = e.client.Health(ctx)
		if err == nil && h.Jobs.InProgress == 0 && h.Jobs.InQueue == 0 && h.Workers.Idle == 1 && h.Workers.Running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health after cancel = %+v, %v (want no jobs, one idle worker)", h, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestRetryRequeuesAFailedJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{})
	e.inject(t, emulator.Fault{Kind: emulator.FaultJobFailed})
	ctx := testContext(t)
	job, _ := e.client.Run(ctx, smallInput("x"), RunOptions{})
	if _, err := e.client.Wait(ctx, job.ID, fastWait); !errors.Is(err, ErrJobFailed) {
		t.Fatal(err)
	}
	if j, err := e.client.Retry(ctx, job.ID); err != nil || j.Status != StatusInQueue {
		t.Fatalf("retry = %+v, %v", j, err)
	}
	if done, err := e.client.Wait(ctx, job.ID, fastWait); err != nil || done.Status != StatusCompleted {
		t.Fatalf("after retry: %+v, %v", done, err)
	}
	if h, _ := e.client.Health(ctx); h.Jobs.Retried != 1 || h.Jobs.Failed != 1 || h.Jobs.Completed != 1 {
		t.Errorf("health = %+v", h)
	}
	if _, err := e.client.Retry(ctx, job.ID); !errors.Is(err, ErrBadRequest) {
		t.Errorf("retry of a completed job: %v", err)
	}
}

func TestTTLExpiryIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{ExecutionTime: 10 * time.Second})
	ctx := testContext(t)
	job, err := e.client.Run(ctx, smallInput("x"), RunOptions{Policy: Policy{TTL: 60 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Wait(ctx, job.ID, fastWait); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound after the ttl", err)
	}
}
