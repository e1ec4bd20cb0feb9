package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
	"hybridgen/internal/testutil"
)

const restartKey = "rpa_RESTART_TEST_KEY_9f8e7d"

// buildBinary compiles hybridgen into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "hybridgen")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServe starts `hybridgen serve` on a free loopback port and returns
// its process and base URL.
func startServe(t *testing.T, bin string, logs *testutil.SyncBuffer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	return startServeAt(t, bin, logs, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
}

// startServeAt starts `hybridgen serve` with args (which name -addr) and
// returns once it prints its listening line.
func startServeAt(t *testing.T, bin string, logs *testutil.SyncBuffer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), "HG_TEST_RUNPOD_KEY="+restartKey)
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
			if strings.Contains(sc.Text(), "listening on ") {
				lines <- sc.Text()
			}
		}
	}()
	select {
	case line := <-lines:
		return cmd, strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start; logs:\n%s", logs.String())
	}
	return nil, ""
}

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
	dir := t.TempDir()
	bin := buildBinary(t, dir)

	emu := emulator.New(emulator.Config{APIKey: restartKey, ExecutionTime: 1500 * time.Millisecond, Workers: 1})
	emuSrv := httptest.NewServer(emu)
	t.Cleanup(func() { emuSrv.Close(); emu.Close() })
	const price = 0.00116
	targetsFile := filepath.Join(dir, "targets.json")
	cfg := fmt.Sprintf(`{"targets":[{"name":"emu","base_url":%q,"endpoint_id":%q,"api_key_env":"HG_TEST_RUNPOD_KEY","price_per_second_usd":%v,"model":"sdxl-test"}]}`,
		emulator.BaseURL(emuSrv.URL), emu.EndpointID(), price)
	if err := os.WriteFile(targetsFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "data", "ledger.db")
	args := []string{"-db", db, "-targets", targetsFile, "-web-dir", dir, "-poll-interval", "20ms"}
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
	deadline := time.Now().Add(10 * time.Second)
	for getJob(t, base, job.ID, seen).Status != "IN_PROGRESS" {
		if time.Now().After(deadline) {
			t.Fatalf("job never ran; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

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
	deadline = time.Now().Add(15 * time.Second)
	var final jobs.JobView
	for {
		final = getJob(t, base2, job.ID, seen)
		if final.Settled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not reconciled: %+v; logs:\n%s", final, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if final.Status != "COMPLETED" || !strings.HasPrefix(final.Image, "data:image/png;base64,") {
		t.Fatalf("reconciled job = %+v", final)
	}
	client, err := runpod.NewClient(runpod.ClientConfig{BaseURL: emulator.BaseURL(emuSrv.URL), EndpointID: emu.EndpointID(), APIKey: restartKey})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := client.Status(context.Background(), remoteID)
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
