package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
)

// warmConnections opens both paths' connections with n concurrent cheap
// requests, so neither measurement pays TCP connection setup.
func warmConnections(ctx context.Context, n int, rp *runpod.Client, client *http.Client, urls []string) {
	concurrently(n, func(int) error { _, err := rp.Health(ctx); return err })
	concurrently(n, func(i int) error {
		resp, err := client.Get(urls[i%len(urls)] + "/api/config")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	})
}

// runBaseline submits n jobs concurrently with the bare RunPod client, then
// drops them and resets the emulator so the API run starts from an idle queue.
func runBaseline(ctx context.Context, n int, rp *runpod.Client, emu *emulator.Emulator, execTime time.Duration) (latencies, error) {
	baseline := concurrently(n, func(i int) error {
		_, err := rp.Run(ctx, runpod.SDXLInput{Prompt: "baseline", Width: 512, Height: 512, NumInferenceSteps: 1}, runpod.RunOptions{})
		return err
	})
	if _, err := rp.PurgeQueue(ctx); err != nil {
		return baseline, fmt.Errorf("purge the baseline's queue: %w", err)
	}
	time.Sleep(execTime)
	emu.Reset()
	return baseline, nil
}

// apiRun is what the API run measured.
type apiRun struct {
	ids         []string
	submit      latencies
	endToEnd    latencies
	unconfirmed int
	wall        time.Duration
}

// runAPI has n goroutines each submit a render through the API, then follow
// its job until it is settled.
func runAPI(n int, client *http.Client, urls []string, faultRate float64) apiRun {
	run := apiRun{ids: make([]string, n)}
	var mu sync.Mutex
	var unconfirmed atomic.Int32
	start := time.Now()
	run.endToEnd = concurrently(n, func(i int) error {
		base := urls[i%len(urls)]
		t0 := time.Now()
		v, err := submitRender(client, base, i)
		if err != nil {
			return err
		}
		if v.Status == string(ledger.StatusUnconfirmed) {
			unconfirmed.Add(1)
		}
		mu.Lock()
		run.submit.d = append(run.submit.d, time.Since(t0))
		mu.Unlock()
		run.ids[i] = v.ID
		return followJob(client, base, v.ID, faultRate)
	})
	slices.Sort(run.submit.d)
	run.submit.errors = n - len(run.submit.d)
	run.wall = time.Since(start)
	run.unconfirmed = int(unconfirmed.Load())
	return run
}

// submitRender posts render i (its own idempotency key, one of 20 clients).
func submitRender(client *http.Client, base string, i int) (jobs.JobView, error) {
	var v jobs.JobView
	body, _ := json.Marshal(map[string]any{"prompt": fmt.Sprintf("load %d", i), "width": 512, "height": 512,
		"steps": 25, "client_id": fmt.Sprintf("client-%d", i%20), "idempotency_key": fmt.Sprintf("k-%d", i)})
	resp, err := client.Post(base+"/api/images", "application/json", bytes.NewReader(body))
	if err != nil {
		return v, err
	}
	err = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		return v, fmt.Errorf("POST = %d (%v)", resp.StatusCode, err)
	}
	return v, nil
}

// followJob polls the job until it is settled; without faults it must end
// COMPLETED.
func followJob(client *http.Client, base, id string, faultRate float64) error {
	for {
		resp, err := client.Get(base + "/api/images/" + id)
		if err != nil {
			return err
		}
		var v jobs.JobView
		err = json.NewDecoder(resp.Body).Decode(&v)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if v.Settled {
			if v.Status != "COMPLETED" && faultRate == 0 {
				return fmt.Errorf("job %s ended %s: %s", v.ID, v.Status, v.Error)
			}
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ledgerAudit counts the ledger's rows against the jobs the API answered.
type ledgerAudit struct {
	rows, lost, unsettled, mischarged int
	total                             ledger.Micros
}

func (a ledgerAudit) bad() int { return a.lost + a.unsettled + a.mischarged }

// auditLedger checks that the ledger holds exactly one settled, correctly
// charged row per job.
func auditLedger(ctx context.Context, lg *ledger.Ledger, ids []string) (ledgerAudit, error) {
	rows, err := lg.Jobs(ctx, time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil {
		return ledgerAudit{}, fmt.Errorf("read the ledger: %w", err)
	}
	byID := map[string]ledger.Job{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	a := ledgerAudit{rows: len(rows)}
	for _, id := range ids {
		r, ok := byID[id]
		switch {
		case id == "" || !ok:
			a.lost++
		case !r.Settled:
			a.unsettled++
		case r.Cost != ledger.CostOf(price, r.Execution) || r.Cost == 0 || r.Estimated:
			a.mischarged++
		}
		a.total += r.Cost
	}
	return a, nil
}

// runReport is one run's figures, as printed.
type runReport struct {
	n, workers, servers int
	execTime            time.Duration
	db                  string
	baseline            latencies
	api                 apiRun
	audit               ledgerAudit
	jobsCreated         int
}

func printRun(r runReport) {
	backend := "sqlite"
	if r.db != "" {
		backend = "postgres"
	}
	b, s, e := r.baseline, r.api.submit, r.api.endToEnd
	fmt.Printf("cloud path load: %d concurrent renders, emulator %d workers, %v per 25-step image, GOMAXPROCS %d, ledger %s, %d server(s)\n",
		r.n, r.workers, r.execTime, runtime.GOMAXPROCS(0), backend, r.servers)
	fmt.Printf("baseline  bare runpod client POST /run:     p50 %7.2f ms  p99 %7.2f ms  errors %d\n", ms(b.p(50)), ms(b.p(99)), b.errors)
	fmt.Printf("api       POST /api/images (ledger+budget): p50 %7.2f ms  p99 %7.2f ms  errors %d\n", ms(s.p(50)), ms(s.p(99)), s.errors)
	fmt.Printf("api       submit to settled, end to end:    p50 %7.2f ms  p99 %7.2f ms  errors %d\n", ms(e.p(50)), ms(e.p(99)), e.errors)
	fmt.Printf("overhead  api/baseline submit latency:      p50 x%.2f  p99 x%.2f\n",
		s.p(50).Seconds()/b.p(50).Seconds(), s.p(99).Seconds()/b.p(99).Seconds())
	fmt.Printf("ledger    rows %d for %d jobs: lost %d, unsettled %d, mischarged %d; RunPod jobs created %d; total $%.6f; wall %v\n",
		r.audit.rows, r.n, r.audit.lost, r.audit.unsettled, r.audit.mischarged, r.jobsCreated, r.audit.total.USD(), r.api.wall.Round(time.Millisecond))
	for _, err := range append(b.errs, e.errs...) {
		fmt.Println("error:", err)
	}
}
