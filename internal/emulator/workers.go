package emulator

import (
	"fmt"
	"time"
)

// worker is one simulated GPU worker. Fields are guarded by Emulator.mu.
type worker struct {
	id       string
	busy     bool
	warm     bool
	lastDone time.Time
}

func workerID(i int) string { return fmt.Sprintf("emu-worker-%d", i+1) }

// coldLocked reports whether the worker must cold start before its next job.
func (w *worker) coldLocked(idleTimeout time.Duration, now time.Time) bool {
	if !w.warm {
		return true
	}
	return idleTimeout > 0 && now.Sub(w.lastDone) > idleTimeout
}

// work is a worker's loop: take the next job, cold start if needed, run it.
func (e *Emulator) work(w *worker) {
	defer e.wg.Done()
	for {
		j, cold := e.take(w)
		if j == nil {
			return
		}
		e.runJob(w, j, cold)
		e.mu.Lock()
		w.busy = false
		w.lastDone = time.Now()
		e.mu.Unlock()
	}
}

// take waits for the next job (normal priority first) and marks w busy. It
// returns nil once the emulator is closed.
func (e *Emulator) take(w *worker) (*job, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		if e.closed {
			return nil, false
		}
		now := time.Now()
		for _, q := range []*[]*job{&e.queue, &e.lowQ} {
			for len(*q) > 0 {
				j := (*q)[0]
				*q = (*q)[1:]
				if _, ok := e.lookupLocked(j.id, now); !ok || j.status != statusInQueue {
					continue
				}
				j.workerID = w.id
				w.busy = true
				return j, w.coldLocked(e.cfg.IdleTimeout, now)
			}
		}
		e.cond.Wait()
	}
}

// pauseResult is how a pause ended.
type pauseResult int

const (
	pauseDone        pauseResult = iota
	pauseInterrupted             // cancelled, forgotten or emulator closed
	pauseExpired                 // the job's ttl passed
)

// pause waits d, unless j is interrupted or its ttl passes first.
func (e *Emulator) pause(j *job, d time.Duration) pauseResult {
	e.mu.Lock()
	interrupt := j.interrupt
	var ttlLeft time.Duration = -1
	if j.policy.ttl > 0 {
		ttlLeft = time.Until(j.created.Add(j.policy.ttl))
	}
	e.mu.Unlock()
	expired := false
	if ttlLeft >= 0 && ttlLeft < d {
		d, expired = max(ttlLeft, 0), true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-interrupt:
		return pauseInterrupted
	case <-t.C:
	}
	if expired {
		e.mu.Lock()
		if _, ok := e.jobs[j.id]; ok {
			e.forgetLocked(j)
		}
		e.mu.Unlock()
		return pauseExpired
	}
	return pauseDone
}

// runJob takes j from its worker's pickup to a final state.
func (e *Emulator) runJob(w *worker, j *job, cold bool) {
	if cold && e.cfg.ColdStart > 0 {
		e.log.Debug("emulator: cold start", "worker", w.id, "job_id", j.id, "cold_start", e.cfg.ColdStart)
		if e.pause(j, e.cfg.ColdStart) != pauseDone {
			return
		}
	}
	now := time.Now()
	e.mu.Lock()
	w.warm = true
	if j.status != statusInQueue || j.stopped {
		e.mu.Unlock()
		return
	}
	j.status = statusInProgress
	j.started = now
	j.delay = now.Sub(j.queued)
	in, invalid, fault, timeout := j.input, j.invalid, j.fault, j.policy.executionTimeout
	e.mu.Unlock()

	if len(invalid) > 0 {
		e.fail(j, statusFailed, joinProblems(invalid))
		return
	}
	d := e.executionTime(in)
	timedOut := fault != nil && fault.Kind == FaultJobTimedOut
	if timeout > 0 && (d > timeout || timedOut) {
		d, timedOut = timeout, true
	}
	if e.pause(j, d) != pauseDone {
		return
	}
	switch {
	case timedOut:
		e.fail(j, statusTimedOut, "job exceeded its execution timeout")
		return
	case fault != nil && fault.Kind == FaultJobFailed:
		msg := fault.Message
		if msg == "" {
			msg = "emulator: injected failure"
		}
		e.fail(j, statusFailed, msg)
		return
	}
	out, err := render(in, j.id)
	if err != nil {
		e.fail(j, statusFailed, "Unexpected error: "+err.Error())
		return
	}
	e.mu.Lock()
	if j.status == statusInProgress && !j.stopped {
		j.output = out
		e.finishLocked(j, statusCompleted, time.Now())
	}
	e.mu.Unlock()
}

// fail ends j with status and message unless it was cancelled meanwhile.
func (e *Emulator) fail(j *job, status, msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if j.status == statusInProgress && !j.stopped {
		j.errText = msg
		e.finishLocked(j, status, time.Now())
	}
}

// executionTime is how long a job "runs": Config.ExecutionTime scaled by
// steps/25 and by the number of images.
func (e *Emulator) executionTime(in sdxlInput) time.Duration {
	steps := float64(in.steps())
	return time.Duration(float64(e.cfg.ExecutionTime) * steps / 25 * float64(in.NumImages))
}
