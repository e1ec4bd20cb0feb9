package main

import (
	"context"
	"encoding/json"
	"io"
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

func getJob(t *testing.T, base, id string, seen *testutil.SyncBuffer) jobs.JobView {
	t.Helper()
	resp, err := http.Get(base + "/api/images/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	seen.Write(body)
	var v jobs.JobView
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET job: %d %s", resp.StatusCode, body)
	}
	return v
}

// TestSIGKILLMidJobThenRestartReconciles kills the server with SIGKILL while
// a cloud job runs, restarts it on the same ledger file and checks that the
// job is reconciled: one row, settled COMPLETED, charged exactly price ×
// the execution time RunPod reports, with nothing cancelled or resubmitted.
func TestSIGKILLMidJobThenRestartReconciles(t *testing.T) {
	bin := buildBinary(t)
	const price = 0.00116
	c := newCloud(t, emulator.Config{ExecutionTime: 1500 * time.Millisecond, Workers: 1}, price)
	emu := c.emu
	db := filepath.Join(c.dir, "data", "ledger.db")
	args := []string{"-db", db, "-targets", c.targets, "-web-dir", c.dir, "-poll-interval", "20ms"}
	logs, seen := &testutil.SyncBuffer{}, &testutil.SyncBuffer{}

	first, base := startServe(t, bin, logs, args...)
	body := `{"prompt":"a red bicycle","width":512,"height":512,"steps":25,"client_id":"c1","idempotency_key":"k1"}`
	resp, err := http.Post(base+"/api/images", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	seen.Write(data)
	var job jobs.JobView
	if err := json.Unmarshal(data, &job); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %s", resp.StatusCode, data)
	}
	killWhenRunning(t, first, base, job.ID, seen, logs)

	// The dead server left the row in flight.
	lg, err := ledger.Open(context.Background(), db, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	un, err := lg.Unsettled(context.Background())
	lg.Close()
	if err != nil || len(un) != 1 || un[0].ID != job.ID || un[0].RemoteID == "" {
		t.Fatalf("after SIGKILL unsettled = %+v, %v", un, err)
	}
	remoteID := un[0].RemoteID

	second, base2 := startServe(t, bin, logs, args...)
	final := waitJob(t, base2, job.ID, 15*time.Second, seen, logs, settled)
	if final.Status != "COMPLETED" || !strings.HasPrefix(final.Image, "data:image/png;base64,") {
		t.Fatalf("reconciled job = %+v", final)
	}
	remote, err := c.runpod.Status(context.Background(), remoteID)
	if err != nil {
		t.Fatal(err)
	}
	if want := ledger.CostOf(price, remote.ExecutionTime).USD(); final.CostUSD != want || want == 0 {
		t.Fatalf("cost %v, want price × %v = %v", final.CostUSD, remote.ExecutionTime, want)
	}
	if !strings.Contains(logs.String(), "following=1") && !strings.Contains(logs.String(), "settled=1") {
		t.Fatalf("the restarted server did not reconcile the job; logs:\n%s", logs.String())
	}
	reqs := emu.Requests()
	if reqs.JobsCreated != 1 || len(reqs.Cancels) != 0 {
		t.Fatalf("emulator: %d jobs created, cancels %+v", reqs.JobsCreated, reqs.Cancels)
	}

	// Stop the second server cleanly, then read the ledger with `usage`.
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = second.Wait()
	out, err := exec.Command(bin, "usage", "-db", db, "-json").Output()
	if err != nil {
		t.Fatalf("usage: %v", err)
	}
	seen.Write(out)
	var u jobs.UsageView
	if err := json.Unmarshal(out, &u); err != nil {
		t.Fatal(err)
	}
	if u.Total.CloudJobs != 1 || u.Total.InFlight != 0 || u.Total.CostUSD != final.CostUSD {
		t.Fatalf("usage after restart = %+v", u.Total)
	}
	for what, s := range map[string]string{"server logs": logs.String(), "responses": seen.String()} {
		if strings.Contains(s, restartKey) {
			t.Fatalf("the API key appears in the %s", what)
		}
	}
}
