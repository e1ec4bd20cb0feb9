// Command cloudload is the load benchmark of hybridgen's cloud path (not a
// test): it starts the RunPod emulator and the cloud API on loopback
// listeners, with the ledger in a temporary SQLite file (or a new schema of
// the -db postgres:// database, shared by -servers API servers), fires -n
// concurrent POST /api/images, follows every job to its end through
// GET /api/images/{id}, and prints p50/p99 latencies, the lost ledger rows
// (must be 0) and the charge check.
//
// The baseline, measured in the same run against the same emulator, is the
// bare runpod client doing the same submissions (POST /run) without the API,
// the ledger or budgets: the ratio is the API's overhead on submission.
//
//	go run ./bench/cloudload -n 200 -runs 3
//	go run ./bench/cloudload -n 200 -runs 3 -faults 0.2
//	go run ./bench/cloudload -n 200 -runs 3 -db postgres://... -servers 2
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
	"hybridgen/internal/targets"
)

const (
	key   = "rpa_BENCH_KEY"
	price = 0.00076
)

func main() {
	n := flag.Int("n", 200, "concurrent renders")
	workers := flag.Int("workers", 50, "emulator workers")
	execTime := flag.Duration("exec", 200*time.Millisecond, "emulator execution time of a 25-step image")
	runs := flag.Int("runs", 3, "repetitions (each with a fresh emulator and ledger)")
	faultRate := flag.Float64("faults", 0, "share of requests (0-1) that meet an injected fault, ambiguous submits included")
	db := flag.String("db", "", "a postgres:// URL whose database gets a new schema per run (default: a temporary SQLite file)")
	servers := flag.Int("servers", 1, "API servers sharing the ledger, each with its own ledger handle; requests alternate between them")
	flag.Parse()
	if *servers < 1 || (*servers > 1 && *db == "") {
		fmt.Fprintln(os.Stderr, "cloudload: -servers > 1 needs a -db postgres:// URL")
		os.Exit(2)
	}
	var all []result
	for i := range *runs {
		fmt.Printf("--- run %d of %d\n", i+1, *runs)
		r, err := run(*n, *workers, *execTime, *faultRate, *db, *servers, i)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cloudload:", err)
			os.Exit(1)
		}
		all = append(all, r)
	}
	med := func(f func(result) time.Duration) float64 {
		v := make([]time.Duration, len(all))
		for i, r := range all {
			v[i] = f(r)
		}
		slices.Sort(v)
		return ms(v[len(v)/2])
	}
	fmt.Printf("=== median of %d runs: baseline submit p50 %.2f ms p99 %.2f ms; api submit p50 %.2f ms p99 %.2f ms; "+
		"end to end p50 %.2f ms p99 %.2f ms; lost ledger rows 0 in every run\n", len(all),
		med(func(r result) time.Duration { return r.base50 }), med(func(r result) time.Duration { return r.base99 }),
		med(func(r result) time.Duration { return r.sub50 }), med(func(r result) time.Duration { return r.sub99 }),
		med(func(r result) time.Duration { return r.e2e50 }), med(func(r result) time.Duration { return r.e2e99 }))
}

// result holds one run's percentiles.
type result struct{ base50, base99, sub50, sub99, e2e50, e2e99 time.Duration }

func run(n, workers int, execTime time.Duration, faultRate float64, db string, servers, runIndex int) (res result, err error) {
	ctx := context.Background()
	emu := emulator.New(emulator.Config{APIKey: key, ExecutionTime: execTime, Workers: workers})
	defer emu.Close()
	emuSrv := httptest.NewServer(emu)
	defer emuSrv.Close()

	dir, err := os.MkdirTemp("", "cloudload-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	loc, err := ledgerLocation(ctx, db, dir, runIndex)
	if err != nil {
		return res, err
	}
	tg := targets.Target{Name: "emu", BaseURL: emulator.BaseURL(emuSrv.URL), EndpointID: emu.EndpointID(),
		APIKeyEnv: "UNUSED", PricePerSecondUSD: price, Model: "sdxl", EstimateSeconds: 6,
		ExecutionTimeoutSeconds: 2, TTLSeconds: 3600, APIKey: targets.NewSecret(key)}
	transport := &http.Transport{MaxIdleConnsPerHost: 1000}
	// Each API learns its own URL first: every job carries a webhook.
	urls, lg, stop, err := startServers(ctx, loc, servers, tg, transport)
	if err != nil {
		return res, err
	}
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000}}

	// Warm both paths' connections with n concurrent cheap requests, so
	// neither measurement pays TCP connection setup.
	rp, err := runpod.NewClient(runpod.ClientConfig{BaseURL: tg.BaseURL, EndpointID: tg.EndpointID, APIKey: key,
		HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		return res, err
	}
	concurrently(n, func(int) error { _, err := rp.Health(ctx); return err })
	concurrently(n, func(i int) error {
		resp, err := client.Get(urls[i%len(urls)] + "/api/config")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	})

	// Baseline: the bare client submitting n jobs concurrently.
	baseline := concurrently(n, func(i int) error {
		_, err := rp.Run(ctx, runpod.SDXLInput{Prompt: "baseline", Width: 512, Height: 512, NumInferenceSteps: 1}, runpod.RunOptions{})
		return err
	})
	// Drop the baseline's jobs so the API run starts from an idle queue.
	if _, err := rp.PurgeQueue(ctx); err != nil {
		return res, err
	}
	time.Sleep(execTime)
	emu.Reset()
	faults := faultMix(n, faultRate)
	if err := emu.InjectFaults(faults...); err != nil {
		return res, err
	}

	// The API: each goroutine submits, then follows its job to the end.
	ids := make([]string, n)
	var mu sync.Mutex
	var submit latencies
	var unconfirmed atomic.Int32
	start := time.Now()
	endToEnd := concurrently(n, func(i int) error {
		t0 := time.Now()
		body, _ := json.Marshal(map[string]any{"prompt": fmt.Sprintf("load %d", i), "width": 512, "height": 512,
			"steps": 25, "client_id": fmt.Sprintf("client-%d", i%20), "idempotency_key": fmt.Sprintf("k-%d", i)})
		base := urls[i%len(urls)]
		resp, err := client.Post(base+"/api/images", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		var v jobs.JobView
		err = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST = %d (%v)", resp.StatusCode, err)
		}
		if v.Status == string(ledger.StatusUnconfirmed) {
			unconfirmed.Add(1)
		}
		mu.Lock()
		submit.d = append(submit.d, time.Since(t0))
		mu.Unlock()
		ids[i] = v.ID
		for {
			resp, err := client.Get(base + "/api/images/" + ids[i])
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
	})
	slices.Sort(submit.d)
	submit.errors = n - len(submit.d)
	wall := time.Since(start)

	// The ledger must hold exactly one settled, correctly charged row per job.
	rows, err := lg.Jobs(ctx, time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil {
		return res, err
	}
	byID := map[string]ledger.Job{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	lost, unsettled, mischarged := 0, 0, 0
	var total ledger.Micros
	for _, id := range ids {
		r, ok := byID[id]
		switch {
		case id == "" || !ok:
			lost++
		case !r.Settled:
			unsettled++
		case r.Cost != ledger.CostOf(price, r.Execution) || r.Cost == 0 || r.Estimated:
			mischarged++
		}
		total += r.Cost
	}
	reqs := emu.Requests()
	backend := "sqlite"
	if db != "" {
		backend = "postgres"
	}
	fmt.Printf("cloud path load: %d concurrent renders, emulator %d workers, %v per 25-step image, GOMAXPROCS %d, ledger %s, %d server(s)\n",
		n, workers, execTime, runtime.GOMAXPROCS(0), backend, servers)
	fmt.Printf("baseline  bare runpod client POST /run:     p50 %7.2f ms  p99 %7.2f ms  errors %d\n", ms(baseline.p(50)), ms(baseline.p(99)), baseline.errors)
	fmt.Printf("api       POST /api/images (ledger+budget): p50 %7.2f ms  p99 %7.2f ms  errors %d\n", ms(submit.p(50)), ms(submit.p(99)), submit.errors)
	fmt.Printf("api       submit to settled, end to end:    p50 %7.2f ms  p99 %7.2f ms  errors %d\n", ms(endToEnd.p(50)), ms(endToEnd.p(99)), endToEnd.errors)
	fmt.Printf("overhead  api/baseline submit latency:      p50 x%.2f  p99 x%.2f\n",
		submit.p(50).Seconds()/baseline.p(50).Seconds(), submit.p(99).Seconds()/baseline.p(99).Seconds())
	fmt.Printf("ledger    rows %d for %d jobs: lost %d, unsettled %d, mischarged %d; RunPod jobs created %d; total $%.6f; wall %v\n",
		len(rows), n, lost, unsettled, mischarged, reqs.JobsCreated, total.USD(), wall.Round(time.Millisecond))
	for _, e := range append(baseline.errs, endToEnd.errs...) {
		fmt.Println("error:", e)
	}
	money, err := checkMoney(ctx, lg, emu.Requests(), faults, int(unconfirmed.Load()))
	fmt.Println(money)
	if err != nil {
		return res, err
	}
	if lost+unsettled+mischarged != 0 || len(rows) != n || reqs.JobsCreated != n || submit.errors+endToEnd.errors+baseline.errors != 0 {
		return res, fmt.Errorf("ledger or jobs inconsistent")
	}
	return result{baseline.p(50), baseline.p(99), submit.p(50), submit.p(99), endToEnd.p(50), endToEnd.p(99)}, nil
}

type latencies struct {
	d      []time.Duration
	errors int
	errs   []error
}

func (l latencies) p(q int) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	i := (len(l.d)*q + 99) / 100
	return l.d[min(max(i-1, 0), len(l.d)-1)]
}

// concurrently runs f(0..n-1) in n goroutines released together and
// returns the sorted latencies.
func concurrently(n int, f func(i int) error) latencies {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		out  latencies
		gate = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			t0 := time.Now()
			err := f(i)
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out.errors++
				if len(out.errs) < 5 {
					out.errs = append(out.errs, err)
				}
				return
			}
			out.d = append(out.d, d)
		}()
	}
	close(gate)
	wg.Wait()
	slices.Sort(out.d)
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
