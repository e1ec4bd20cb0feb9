package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/jobs"
	"hybridgen/internal/runpod"
	"hybridgen/internal/testutil"
	"hybridgen/internal/testutil/pgtest"
)

// restartKey is the RunPod API key of every serve test: no log line or
// answer may hold it.
const restartKey = "rpa_RESTART_TEST_KEY_9f8e7d"

// The hybridgen binary, built once for every test that runs it as a
// process and removed by TestMain.
var (
	binOnce      sync.Once
	binDir, bin0 string
	binErr       error
)

// TestMain starts a throwaway PostgreSQL cluster for the tests of servers
// sharing one ledger (see pgtest), and removes the built binary.
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary compiles hybridgen once per test run and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "hybridgen-test-bin-"); binErr != nil {
			return
		}
		bin0 = filepath.Join(binDir, "hybridgen")
		if out, err := exec.Command("go", "build", "-o", bin0, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return bin0
}

// cloud is an emulated RunPod endpoint and a targets file that names it
// "emu", in a temporary folder that also serves as -web-dir.
type cloud struct {
	dir     string
	emu     *emulator.Emulator
	targets string         // the targets file
	runpod  *runpod.Client // a client of the emulator, to read what it billed
}

// newCloud starts the emulator (cfg.APIKey defaults to restartKey) and
// writes a targets file at price USD a second, execution timeout 60 s and
// ttl 600 s, whose key comes from HG_TEST_RUNPOD_KEY.
func newCloud(t *testing.T, cfg emulator.Config, price float64) cloud {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = restartKey
	}
	emu := emulator.New(cfg)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	dir := t.TempDir()
	client, err := runpod.NewClient(runpod.ClientConfig{BaseURL: emulator.BaseURL(srv.URL), EndpointID: emu.EndpointID(), APIKey: cfg.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	return cloud{dir: dir, emu: emu, targets: writeTargets(t, dir, emulator.BaseURL(srv.URL), emu.EndpointID(), price), runpod: client}
}

func writeTargets(t *testing.T, dir, baseURL, endpoint string, price float64) string {
	t.Helper()
	path := filepath.Join(dir, "targets.json")
	cfg := fmt.Sprintf(`{"targets":[{"name":"emu","base_url":%q,"endpoint_id":%q,"api_key_env":"HG_TEST_RUNPOD_KEY",`+
		`"price_per_second_usd":%v,"model":"sdxl-test","execution_timeout_seconds":60,"ttl_seconds":600}]}`, baseURL, endpoint, price)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
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
		return cmd, listenURL(line)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start; logs:\n%s", logs.String())
	}
	return nil, ""
}

// serveInProcess runs `hybridgen serve args` in this process (logs to
// logs) and returns the URL it listens on and stop, which ends it and
// returns what it returned.
func serveInProcess(t *testing.T, logs io.Writer, args ...string) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), pw, logs)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no listening line: %v; logs:\n%s", err, logs)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return listenURL(line), func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return fmt.Errorf("serve did not stop within 10 s of its cancel")
		}
	}
}

// listenURL is the URL at the end of serve's listening line.
func listenURL(line string) string {
	return strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
}

// waitJob polls GET /api/images/{id} on base until done holds of the job
// or within passes (a failure that shows logs).
func waitJob(t *testing.T, base, id string, within time.Duration, seen, logs *testutil.SyncBuffer,
	done func(jobs.JobView) bool) jobs.JobView {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		v := getJob(t, base, id, seen)
		if done(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s after %s: %+v; logs:\n%s", id, within, v, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func running(v jobs.JobView) bool { return v.Status == "IN_PROGRESS" }
func settled(v jobs.JobView) bool { return v.Settled }

// killWhenRunning waits until job id runs on RunPod, then kills the server
// cmd with SIGKILL: nothing of its shutdown runs.
func killWhenRunning(t *testing.T, cmd *exec.Cmd, base, id string, seen, logs *testutil.SyncBuffer) {
	t.Helper()
	waitJob(t, base, id, 10*time.Second, seen, logs, running)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// statusOf sends method url (body JSON when not empty) with the
// Authorization header auth (none when empty) and returns the status.
func statusOf(t *testing.T, method, url, body, auth string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
