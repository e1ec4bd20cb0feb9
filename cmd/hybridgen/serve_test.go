package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/testutil"
)

// TestServeOffLoopbackRequiresToken serves on every interface and checks
// that a cloud render without a token is refused with 401 before any RunPod
// call, and that a token from -tokens is accepted.
func TestServeOffLoopbackRequiresToken(t *testing.T) {
	emu := emulator.New(emulator.Config{APIKey: restartKey, ExecutionTime: 10 * time.Millisecond})
	emuSrv := httptest.NewServer(emu)
	t.Cleanup(func() { emuSrv.Close(); emu.Close() })
	dir := t.TempDir()
	targetsFile := filepath.Join(dir, "targets.json")
	cfg := fmt.Sprintf(`{"targets":[{"name":"emu","base_url":%q,"endpoint_id":%q,"api_key_env":"HG_TEST_RUNPOD_KEY","price_per_second_usd":0.0005}]}`,
		emulator.BaseURL(emuSrv.URL), emu.EndpointID())
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(targetsFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokens, []byte("# deployer tokens\nsecret-token-1\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HG_TEST_RUNPOD_KEY", restartKey)

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	logs := &testutil.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-addr", "0.0.0.0:0", "-web-dir", dir, "-db", filepath.Join(dir, "l.db"),
			"-targets", targetsFile, "-tokens", tokens}, pw, logs)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listen line: %v; logs %s", err, logs.String())
	}
	go io.Copy(io.Discard, pr)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(strings.TrimSpace(line[strings.LastIndex(line, " ")+1:]), "http://"))
	base := "http://127.0.0.1:" + port

	post := func(auth string) int {
		req, _ := http.NewRequest("POST", base+"/api/images", strings.NewReader(
			`{"prompt":"p","width":512,"height":512,"client_id":"c","idempotency_key":"k"}`))
		req.Header.Set("Content-Type", "application/json")
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
	if code := post(""); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code := post("Bearer wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	if n := emu.Requests().Counts["run"]; n != 0 {
		t.Fatalf("refused renders reached RunPod %d times", n)
	}
	if code := post("Bearer secret-token-1"); code != http.StatusAccepted {
		t.Fatalf("valid token: %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(logs.String(), restartKey) || strings.Contains(logs.String(), "secret-token-1") {
		t.Fatal("a key or token appears in the logs")
	}
}
