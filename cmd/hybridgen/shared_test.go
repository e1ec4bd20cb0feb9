package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
	"hybridgen/internal/targets"
	"hybridgen/internal/testutil"
	"hybridgen/internal/testutil/pgtest"
)

const sharedPrice = 0.001

// sharedEnv is what the servers of a test share.
type sharedEnv struct {
	bin      string
	args     []string // serve's arguments, one PostgreSQL schema
	emu      *emulator.Emulator
	runpod   *runpod.Client // a client of the emulator, to read what it billed
	estimate ledger.Micros  // of a 512x512 25-step render
}

// sharedSetup builds the binary, starts the RunPod emulator (jobs run for
// execution) and writes its targets file.
func sharedSetup(t *testing.T, execution time.Duration) sharedEnv {
	t.Helper()
	dbURL := pgtest.URL(t)
	bin := buildBinary(t)
	c := newCloud(t, emulator.Config{ExecutionTime: execution, Workers: 8}, sharedPrice)
	data, err := os.ReadFile(c.targets)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := targets.Parse(data, func(string) string { return restartKey })
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := cfg.Lookup("emu")
	args := []string{"-db", dbURL, "-targets", c.targets, "-web-dir", c.dir, "-poll-interval", "20ms",
		"-lease-ttl", "1s", "-rate", "0"}
	return sharedEnv{bin: bin, args: args, emu: c.emu, runpod: c.runpod,
		estimate: ledger.CostOf(sharedPrice, tg.Estimate(512, 512, 25))}
}

func postRender(t *testing.T, base, key string) (int, jobs.JobView) {
	t.Helper()
	body := fmt.Sprintf(`{"prompt":"a red bicycle","width":512,"height":512,"steps":25,"client_id":"c1","idempotency_key":%q}`, key)
	resp, err := http.Post(base+"/api/images", "application/json", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, jobs.JobView{}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v jobs.JobView
	_ = json.Unmarshal(data, &v)
	return resp.StatusCode, v
}

// TestTwoServersShareBudgetAndIdempotency runs two `serve` processes on one
// PostgreSQL: one Idempotency-Key sent to both at once makes one RunPod
// job; then 50 concurrent renders spread over both, under a daily budget
// with room for exactly 3 more, are accepted exactly 3 times.
func TestTwoServersShareBudgetAndIdempotency(t *testing.T) {
	env := sharedSetup(t, 5*time.Second)
	bin, emu := env.bin, env.emu
	// Room for 4 jobs and half of a fifth: the shared key's job, then 3.
	budget := (4*env.estimate + env.estimate/2).USD()
	args := append(env.args, "-budget-daily", fmt.Sprint(budget))
	logs := &testutil.SyncBuffer{}
	_, baseA := startServe(t, bin, logs, append(args, "-instance", "A")...)
	_, baseB := startServe(t, bin, logs, append(args, "-instance", "B")...)
	bases := []string{baseA, baseB}

	ids := make([]string, 2)
	var wg sync.WaitGroup
	for i, base := range bases {
		wg.Go(func() {
			code, v := postRender(t, base, "shared-key")
			if code != http.StatusAccepted && code != http.StatusOK {
				t.Errorf("shared key on server %d: %d", i, code)
			}
			ids[i] = v.ID
		})
	}
	wg.Wait()
	if ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("the same key gave jobs %q and %q", ids[0], ids[1])
	}
	if n := emu.Requests().JobsCreated; n != 1 {
		t.Fatalf("RunPod jobs for one key sent to two servers = %d, want 1", n)
	}

	codes := make([]int, 50)
	for i := range codes {
		wg.Go(func() { codes[i], _ = postRender(t, bases[i%2], fmt.Sprintf("k%d", i)) })
	}
	wg.Wait()
	accepted := map[string]int{}
	for i, c := range codes {
		switch c {
		case http.StatusAccepted:
			accepted[bases[i%2]]++
		case http.StatusPaymentRequired:
		default:
			t.Fatalf("render %d: status %d, want 202 or 402", i, c)
		}
	}
	if accepted[baseA]+accepted[baseB] != 3 {
		t.Fatalf("accepted %v (A, B), want 3 in all; logs:\n%s", accepted, logs.String())
	}
	if n := emu.Requests().JobsCreated; n != 4 {
		t.Fatalf("RunPod jobs = %d, want 4", n)
	}
}

// TestServerKilledMidJobIsTakenOver kills one of two servers with SIGKILL
// while its job runs: the other takes the job over once the dead server's
// lease expires and charges it once, at what RunPod reports.
func TestServerKilledMidJobIsTakenOver(t *testing.T) {
	env := sharedSetup(t, 1500*time.Millisecond)
	bin, args, emu := env.bin, env.args, env.emu
	logs := &testutil.SyncBuffer{}
	a, baseA := startServe(t, bin, logs, append(args, "-instance", "A")...)
	_, baseB := startServe(t, bin, logs, append(args, "-instance", "B")...)
	code, job := postRender(t, baseA, "k1")
	if code != http.StatusAccepted {
		t.Fatalf("POST = %d", code)
	}
	seen := &testutil.SyncBuffer{}
	killWhenRunning(t, a, baseA, job.ID, seen, logs)

	waitJob(t, baseB, job.ID, 15*time.Second, seen, logs, settled)
	lg, err := ledger.Open(context.Background(), args[1], ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	row, err := lg.Get(context.Background(), job.ID)
	if err != nil || row.Owner != "B" || row.Status != ledger.StatusCompleted || row.RemoteID == "" {
		t.Fatalf("row = %+v, %v; want COMPLETED, owned by B", row, err)
	}
	remote, err := env.runpod.Status(context.Background(), row.RemoteID)
	if err != nil {
		t.Fatal(err)
	}
	if want := ledger.CostOf(sharedPrice, remote.ExecutionTime); row.Cost != want || want == 0 {
		t.Fatalf("cost = %v, want price × %v = %v", row.Cost, remote.ExecutionTime, want)
	}
	since, until := ledger.DayWindow(time.Now())
	if spent, _ := lg.Spend(context.Background(), "", since, until); spent != row.Cost {
		t.Fatalf("spend = %v, want the one job's %v", spent, row.Cost)
	}
	if reqs := emu.Requests(); reqs.JobsCreated != 1 || len(reqs.Cancels) != 0 {
		t.Fatalf("emulator: %d jobs created, cancels %v", reqs.JobsCreated, reqs.Cancels)
	}
	// `usage` reads the same PostgreSQL ledger.
	out, err := exec.Command(bin, "usage", "-db", args[1], "-json").Output()
	if err != nil {
		t.Fatalf("usage: %v", err)
	}
	var u jobs.UsageView
	if err := json.Unmarshal(out, &u); err != nil || u.Total.CloudJobs != 1 || u.Total.CostUSD != row.Cost.USD() {
		t.Fatalf("usage = %s, %v; want 1 job at %v", out, err, row.Cost)
	}
}

// TestTwoServersShareOneRateLimit: with a burst of 2 and a slow refill, 8
// renders spread over two servers are accepted twice in all, not twice per
// server; the others get 429.
func TestTwoServersShareOneRateLimit(t *testing.T) {
	env := sharedSetup(t, 2*time.Second)
	args := append(env.args, "-rate", "1", "-rate-burst", "2")
	logs := &testutil.SyncBuffer{}
	_, baseA := startServe(t, env.bin, logs, append(args, "-instance", "A")...)
	_, baseB := startServe(t, env.bin, logs, append(args, "-instance", "B")...)
	bases := []string{baseA, baseB}
	codes := make([]int, 8)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() { codes[i], _ = postRender(t, bases[i%2], fmt.Sprintf("r%d", i)) })
	}
	wg.Wait()
	accepted := 0
	for i, c := range codes {
		switch c {
		case http.StatusAccepted:
			accepted++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("render %d: status %d, want 202 or 429", i, c)
		}
	}
	if accepted != 2 {
		t.Fatalf("accepted %d of 8 (codes %v), want the shared burst of 2", accepted, codes)
	}
}

// TestRestartUnderTheSameNameReconcilesItsJobs: a server named A killed
// mid-job and restarted at once as A (its lease still live, so no other
// server may take the job) reconciles the job itself.
func TestRestartUnderTheSameNameReconcilesItsJobs(t *testing.T) {
	env := sharedSetup(t, 1500*time.Millisecond)
	args := append(env.args, "-lease-ttl", "60s", "-instance", "A")
	logs, seen := &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	a, base := startServe(t, env.bin, logs, args...)
	code, job := postRender(t, base, "k1")
	if code != http.StatusAccepted {
		t.Fatalf("POST = %d", code)
	}
	killWhenRunning(t, a, base, job.ID, seen, logs)
	_, base = startServe(t, env.bin, logs, args...)
	final := waitJob(t, base, job.ID, 15*time.Second, seen, logs, settled)
	if final.Status != "COMPLETED" || final.CostUSD == 0 || env.emu.Requests().JobsCreated != 1 {
		t.Fatalf("job = %+v, RunPod jobs %d; want COMPLETED, charged, one job", final, env.emu.Requests().JobsCreated)
	}
}
