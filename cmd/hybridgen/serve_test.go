package main

import (
	"net"
	"net/http"
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
	c := newCloud(t, emulator.Config{ExecutionTime: 10 * time.Millisecond}, 0.0005)
	emu, dir := c.emu, c.dir
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("# deployer tokens\nsecret-token-1\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HG_TEST_RUNPOD_KEY", restartKey)

	logs := &testutil.SyncBuffer{}
	url, stop := serveInProcess(t, logs, "-addr", "0.0.0.0:0", "-web-dir", dir, "-db", filepath.Join(dir, "l.db"),
		"-targets", c.targets, "-tokens", tokens)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	base := "http://127.0.0.1:" + port

	post := func(auth string) int {
		return statusOf(t, "POST", base+"/api/images", `{"prompt":"p","width":512,"height":512,"client_id":"c","idempotency_key":"k"}`, auth)
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
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if strings.Contains(logs.String(), restartKey) || strings.Contains(logs.String(), "secret-token-1") {
		t.Fatal("a key or token appears in the logs")
	}
}
