package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/runpod"
	"hybridgen/internal/testutil"
)

// TestRunpodEmulatorCommand starts `hybridgen runpod-emulator` on a free
// port, renders through it with the real client, checks that a dropped
// connection really drops through the server's middleware, and shuts down.
func TestRunpodEmulatorCommand(t *testing.T) {
	t.Setenv("HYBRIDGEN_EMULATOR_API_KEY", "emu-key-123")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, outW := io.Pipe()
	stderr := &testutil.SyncBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"runpod-emulator", "-addr", "127.0.0.1:0", "-endpoint", "ep9",
			"-cold-start", "5ms", "-execution-time", "5ms", "-workers", "2"}, outW, stderr)
		outW.Close()
	}()
	base := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if b, ok := strings.CutPrefix(sc.Text(), "base URL: "); ok {
			base = b
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if !strings.HasSuffix(base, "/v2") {
		t.Fatalf("no base URL printed (stderr %s)", stderr.String())
	}

	c, err := runpod.NewClient(runpod.ClientConfig{BaseURL: base, EndpointID: "ep9", APIKey: "emu-key-123",
		Retry: runpod.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.RunSync(ctx, runpod.SDXLInput{Prompt: "x", Width: 64, Height: 64}, runpod.RunSyncOptions{Wait: 5 * time.Second})
	if err != nil || job.Status != runpod.StatusCompleted || job.Output == nil {
		t.Fatalf("runsync = %+v, %v", job.Status, err)
	}

	control := strings.TrimSuffix(base, "/v2") + "/_emulator/faults"
	resp, err := http.Post(control, "application/json", strings.NewReader(`[{"route":"health","kind":"drop"}]`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("inject: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := c.Health(ctx); err == nil || errors.Is(err, runpod.ErrServer) {
		t.Errorf("health with a drop fault: %v, want a transport error", err)
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("runpod-emulator returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("runpod-emulator did not shut down")
	}
	if strings.Contains(stderr.String(), "emu-key-123") {
		t.Error("the API key was logged")
	}
}

func TestRunpodEmulatorFlags(t *testing.T) {
	for _, args := range [][]string{{"-workers", "0"}, {"-cold-start", "-1s"}, {"extra"}, {"-log-format", "xml"}} {
		if _, err := parseEmulatorFlags(args, io.Discard); err == nil || exitCode(err) != 2 {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}
