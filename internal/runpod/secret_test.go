package runpod

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/emulator"
)

// TestAPIKeyNeverLeaks drives every error path, with a server that even
// echoes the key back in its error texts, and scans every error message,
// every log line and every String/GoString/LogValue for the key.
func TestAPIKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{ExecutionTime: 20 * time.Millisecond})
	ctx := testContext(t)
	var texts []string
	collect := func(err error) {
		if err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				texts = append(texts, apiErr.Message)
			}
		}
	}
	echo := "invalid key " + testKey + " (Bearer " + testKey + ")"
	e.inject(t,
		emulator.Fault{Route: "run", Kind: emulator.HTTPFault(429), Message: echo},
		emulator.Fault{Route: "run", Kind: emulator.HTTPFault(400), Message: strings.Repeat("x", 290) + testKey},
		emulator.Fault{Route: "status", Kind: emulator.HTTPFault(500), Count: -1, Message: echo},
		emulator.Fault{Route: "health", Kind: emulator.FaultDrop, Count: -1},
		emulator.Fault{Route: "runsync", Kind: emulator.FaultDropAfter},
	)
	_, err := e.client.Run(ctx, smallInput("x"), RunOptions{})
	collect(err)
	_, err = e.client.Status(ctx, "job-1")
	collect(err)
	_, err = e.client.Health(ctx)
	collect(err)
	_, err = e.client.RunSync(ctx, smallInput("x"), RunSyncOptions{Wait: time.Second})
	collect(err)
	e.inject(t, emulator.Fault{Route: "runsync", Kind: emulator.FaultJobFailed, Message: "worker saw " + testKey})
	job, err := e.client.RunSync(ctx, smallInput("x"), RunSyncOptions{Wait: 10 * time.Second})
	collect(err)
	if !errors.Is(err, ErrJobFailed) {
		t.Fatalf("runsync: %v, want the injected failure", err)
	}
	texts = append(texts, job.Error, fmt.Sprintf("%+v", job))
	e.emu.ClearFaults()

	cancelled, cancel := context.WithCancel(ctx)
	job, err = e.client.Run(ctx, smallInput("y"), RunOptions{})
	collect(err)
	cancel()
	_, err = e.client.Wait(cancelled, job.ID, fastWait)
	collect(err)

	wrong := newEnv(t, emulator.Config{}, func(c *ClientConfig) { c.APIKey = testKey + "-wrong" })
	_, err = wrong.client.Health(ctx)
	collect(err)
	_, err = NewClient(ClientConfig{BaseURL: "https://api.example/" + testKey, EndpointID: "e", APIKey: testKey})
	collect(err)
	_, err = NewClient(ClientConfig{BaseURL: "https://user:" + testKey + "@api.example", EndpointID: "e", APIKey: testKey})
	collect(err)

	cfg := ClientConfig{BaseURL: "https://api.runpod.ai/v2", EndpointID: "e", APIKey: testKey}
	texts = append(texts, cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg),
		e.client.String(), fmt.Sprintf("%+v", e.client))
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg)
	texts = append(texts, logged.String(), e.logs.String(), wrong.logs.String())

	if len(texts) < 20 {
		t.Fatalf("only %d texts collected", len(texts))
	}
	for _, s := range texts {
		if strings.Contains(s, testKey) || strings.Contains(s, testKey[:12]) {
			t.Errorf("API key found in %q", s)
		}
	}
	// The scan must be able to fail: the echoed texts did reach the client.
	if !strings.Contains(strings.Join(texts, "\n"), "[redacted]") {
		t.Error("no scrubbed text seen; the test did not exercise the echo")
	}
}
