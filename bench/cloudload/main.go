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
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"time"

	"hybridgen/internal/emulator"
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
	rp, err := runpod.NewClient(runpod.ClientConfig{BaseURL: tg.BaseURL, EndpointID: tg.EndpointID, APIKey: key,
		HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		return res, err
	}
	warmConnections(ctx, n, rp, client, urls)
	baseline, err := runBaseline(ctx, n, rp, emu, execTime)
	if err != nil {
		return res, err
	}
	faults := faultMix(n, faultRate)
	if err := emu.InjectFaults(faults...); err != nil {
		return res, err
	}
	api := runAPI(n, client, urls, faultRate)
	audit, err := auditLedger(ctx, lg, api.ids)
	if err != nil {
		return res, err
	}
	reqs := emu.Requests()
	printRun(runReport{n: n, workers: workers, execTime: execTime, db: db, servers: servers,
		baseline: baseline, api: api, audit: audit, jobsCreated: reqs.JobsCreated})
	money, err := checkMoney(ctx, lg, reqs, faults, api.unconfirmed)
	fmt.Println(money)
	if err != nil {
		return res, err
	}
	if audit.bad() != 0 || audit.rows != n || reqs.JobsCreated != n || api.submit.errors+api.endToEnd.errors+baseline.errors != 0 {
		return res, fmt.Errorf("ledger or jobs inconsistent")
	}
	return result{baseline.p(50), baseline.p(99), api.submit.p(50), api.submit.p(99), api.endToEnd.p(50), api.endToEnd.p(99)}, nil
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
