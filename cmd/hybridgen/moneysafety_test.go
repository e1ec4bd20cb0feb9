package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
	"hybridgen/internal/testutil"
)

// freePort returns a loopback port nobody listens on now, so a server and
// its restart can share one URL (the webhook RunPod was given).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func unsettledRows(t *testing.T, db string) []ledger.Job {
	t.Helper()
	lg, err := ledger.Open(context.Background(), db, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	rows, err := lg.Unsettled(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSIGKILLMidSubmitThenWebhookReconciles kills the server with SIGKILL
// after RunPod (the emulator) created the job but before it answered /run.
// The row says SUBMITTING with no RunPod id; the restarted server (same db,
// same URL) shows it UNCONFIRMED and reconciling, counted at its worst
// case, never retried; the emulator's webhook then settles it at exactly
// what the emulator billed.
func TestSIGKILLMidSubmitThenWebhookReconciles(t *testing.T) {
	bin := buildBinary(t)
	const price = 0.00116
	c := newCloud(t, emulator.Config{ExecutionTime: 3 * time.Second, Workers: 1}, price)
	emu := c.emu
	addr := freePort(t)
	db := filepath.Join(c.dir, "ledger.db")
	args := []string{"-addr", addr, "-public-url", "http://" + addr, "-db", db, "-web-dir", c.dir, "-poll-interval", "20ms",
		"-targets", c.targets}
	if err := emu.InjectFaults(emulator.Fault{Route: "run", Kind: emulator.FaultDelayAfter, DelayMS: 10000}); err != nil {
		t.Fatal(err)
	}
	logs, seen := &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	first, base := startServeAt(t, bin, logs, args...)
	go func() {
		body := `{"prompt":"a red bicycle","width":512,"height":512,"client_id":"c1","idempotency_key":"k1"}`
		resp, err := http.Post(base+"/api/images", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for emu.Requests().JobsCreated == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the emulator never created the job; logs:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	rows := unsettledRows(t, db)
	if len(rows) != 1 || rows[0].Status != ledger.StatusSubmitting || rows[0].RemoteID != "" {
		t.Fatalf("after SIGKILL: %+v; logs:\n%s", rows, logs.String())
	}
	id := rows[0].ID

	_, base = startServeAt(t, bin, logs, args...)
	// The background reconcile turns the SUBMITTING row UNCONFIRMED.
	v := waitJob(t, base, id, 2*time.Second, seen, logs, func(v jobs.JobView) bool { return v.Status != "SUBMITTING" })
	if v.Status != "UNCONFIRMED" || !v.Reconciling || v.Settled || !strings.Contains(v.Error, "may have run") {
		t.Fatalf("after restart: %+v", v)
	}
	out, err := exec.Command(bin, "usage", "-db", db, "-json").Output()
	if err != nil {
		t.Fatalf("usage: %v", err)
	}
	var u jobs.UsageView
	if err := json.Unmarshal(out, &u); err != nil || u.Total.Unconfirmed != 1 || u.Total.UnconfirmedCostUSD != v.WorstCaseCostUSD {
		t.Fatalf("usage while unconfirmed: %s %v", out, err)
	}
	v = waitJob(t, base, id, 20*time.Second, seen, logs, settled)
	reqs := emu.Requests()
	var billed ledger.Micros
	for _, ms := range reqs.ExecutionMS {
		billed += ledger.CostOf(price, time.Duration(ms)*time.Millisecond)
	}
	if v.Status != "COMPLETED" || v.Estimated || ledger.FromUSD(v.CostUSD) != billed || billed == 0 {
		t.Fatalf("reconciled = %+v, emulator billed %v", v, billed)
	}
	if reqs.JobsCreated != 1 || reqs.Counts["run"] != 1 {
		t.Fatalf("the job was retried: %+v", reqs)
	}
	if strings.Contains(logs.String()+seen.String(), restartKey) {
		t.Fatal("the API key leaked")
	}
}

// TestRestartListensAtOnceWithRunPodUnreachable restarts on a ledger with
// 50 jobs in flight while the RunPod endpoint accepts connections and never
// answers: the server must listen within a second, and its jobs say they
// are being reconciled. It also sends a DNS-rebinding request.
func TestRestartListensAtOnceWithRunPodUnreachable(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t)
	blackhole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blackhole.Close() })
	go func() {
		for {
			conn, err := blackhole.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	db := filepath.Join(dir, "ledger.db")
	lg, err := ledger.Open(context.Background(), db, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		id := fmt.Sprintf("img_inflight_%02d", i)
		if _, _, err := lg.CreateOrGet(context.Background(), ledger.NewJob{ID: id, Identity: jobs.LocalIdentity,
			ClientID: "c", Target: "emu", Kind: ledger.KindCloud, EstimatedCost: 100}); err != nil {
			t.Fatal(err)
		}
		if err := lg.MarkSubmitted(context.Background(), id, fmt.Sprint("remote-", i), ledger.StatusInProgress); err != nil {
			t.Fatal(err)
		}
	}
	lg.Close()
	args := []string{"-db", db, "-web-dir", dir,
		"-targets", writeTargets(t, dir, "http://"+blackhole.Addr().String()+"/v2", "ep", 0.001)}
	logs := &testutil.SyncBuffer{}
	start := time.Now()
	_, base := startServeAt(t, bin, logs, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("listening after %s, want under 1 s", d)
	}
	t.Logf("listening %s after start with 50 jobs in flight and RunPod unreachable", time.Since(start))
	// Reconcile runs after the listener is up, so the job says so within
	// moments rather than at the first request.
	var v jobs.JobView
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		v = getJob(t, base, "img_inflight_07", &testutil.SyncBuffer{})
		if (v.Reconciling && v.Status == "IN_PROGRESS") || time.Now().After(deadline) {
			break
		}
	}
	if !v.Reconciling || v.Status != "IN_PROGRESS" {
		t.Fatalf("in-flight job 5 s after restart: %+v", v)
	}

	// DNS rebinding: a page on evil.example resolving to 127.0.0.1.
	for _, path := range []string{"/api/images", "/api/usage"} {
		method := "GET"
		if path == "/api/images" {
			method = "POST"
		}
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{"prompt":"p","client_id":"c","idempotency_key":"k"}`))
		req.Host = "evil.example"
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Fatalf("rebinding %s %s = %d", method, path, resp.StatusCode)
		}
	}
}
