package runpod

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/testutil"
)

const testKey = "rpa_SECRET_test_key_5f0c2b9e"

// env is a client wired to an emulator on a loopback listener.
type env struct {
	emu    *emulator.Emulator
	srv    *httptest.Server
	client *Client
	logs   *testutil.SyncBuffer
}

// newEnv starts an emulator and a client with fast retries; edit tweaks the
// client config before the client is built.
func newEnv(t *testing.T, cfg emulator.Config, edit ...func(*ClientConfig)) *env {
	t.Helper()
	cfg.APIKey = testKey
	cfg.EndpointID = "sdxl-ep"
	emu := emulator.New(cfg)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	logs := &testutil.SyncBuffer{}
	cc := ClientConfig{
		BaseURL:    emulator.BaseURL(srv.URL),
		EndpointID: "sdxl-ep",
		APIKey:     testKey,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Retry:      RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	}
	for _, f := range edit {
		f(&cc)
	}
	c, err := NewClient(cc)
	if err != nil {
		t.Fatal(err)
	}
	return &env{emu: emu, srv: srv, client: c, logs: logs}
}

func (e *env) inject(t *testing.T, faults ...emulator.Fault) {
	t.Helper()
	if err := e.emu.InjectFaults(faults...); err != nil {
		t.Fatal(err)
	}
}

// fastWait polls often, so tests stay quick.
var fastWait = WaitOptions{PollInterval: 2 * time.Millisecond, MaxInterval: 10 * time.Millisecond}

func smallInput(prompt string) SDXLInput {
	return SDXLInput{Prompt: prompt, Width: 256, Height: 256, Seed: Seed(3)}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
