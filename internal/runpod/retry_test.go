package runpod

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/emulator"
)

func TestDroppedStatusConnectionIsRetried(t *testing.T) {
	t.Parallel()
	// No keep-alive: every attempt dials afresh, so net/http cannot retry
	// the dropped GET by itself and the client's own retry is what recovers.
	e := newEnv(t, emulator.Config{}, func(c *ClientConfig) {
		c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	})
	e.inject(t, emulator.Fault{Route: "health", Kind: emulator.FaultDrop})
	if _, err := e.client.Health(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.Requests().Counts["health"]; n != 2 {
		t.Errorf("%d health requests, want 2 (dropped, then retried)", n)
	}
	if n := strings.Count(e.logs.String(), "runpod: retrying"); n != 1 {
		t.Errorf("%d retries logged, want 1", n)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{})
	e.inject(t, emulator.Fault{Route: "run", Kind: emulator.HTTPFault(429), RetryAfter: 7})
	var pauses []time.Duration
	var runsBeforePause []int
	e.client.sleep = func(_ context.Context, d time.Duration) error {
		pauses = append(pauses, d)
		runsBeforePause = append(runsBeforePause, e.emu.Requests().Counts["run"])
		return nil
	}
	if _, err := e.client.Run(testContext(t), smallInput("x"), RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// One pause, of exactly the server's 7 s (the backoff is 1-5 ms), taken
	// after the refused request and before the retry.
	if len(pauses) != 1 || pauses[0] != 7*time.Second || runsBeforePause[0] != 1 {
		t.Fatalf("pauses %v after %v run requests", pauses, runsBeforePause)
	}
	if n := e.emu.Requests().Counts["run"]; n != 2 {
		t.Errorf("%d run requests, want 2", n)
	}
}

func TestTooLongRetryAfterEndsRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{})
	e.inject(t, emulator.Fault{Route: "status", Kind: emulator.HTTPFault(429), RetryAfter: 3600})
	e.client.sleep = func(context.Context, time.Duration) error {
		t.Error("client paused for a Retry-After beyond MaxRetryAfter")
		return nil
	}
	_, err := e.client.Status(testContext(t), "any")
	var apiErr *APIError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RetryAfter != time.Hour {
		t.Fatalf("err = %v", err)
	}
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	for retry := 1; retry <= 10; retry++ {
		ceil := min(p.BaseDelay<<(retry-1), p.MaxDelay)
		for i := 0; i < 50; i++ {
			if d := p.backoff(retry); d < ceil/2 || d > ceil {
				t.Fatalf("retry %d: backoff %v outside [%v, %v]", retry, d, ceil/2, ceil)
			}
		}
	}
	if d := p.retryDelay(1, 30*time.Second); d != 30*time.Second {
		t.Errorf("retryDelay with Retry-After 30s = %v", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"0":                             0,
		"-4":                            0,
		"soon":                          0,
		"Thu, 26 Nov 2026 12:00:09 GMT": 9 * time.Second,
		"Thu, 26 Nov 2026 11:00:00 GMT": 0,
		"99999999999":                   24 * time.Hour,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSubmitRetriedWhenNeverConnected(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: the dial fails, so /run is safe to retry.
	srv := newEnv(t, emulator.Config{}).srv
	addr := srv.URL
	srv.Close()
	c, err := NewClient(ClientConfig{BaseURL: addr + "/v2", EndpointID: "ep", APIKey: testKey,
		Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	attempts := 1
	c.sleep = func(context.Context, time.Duration) error { attempts++; return nil }
	_, err = c.Run(testContext(t), smallInput("x"), RunOptions{})
	if err == nil || errors.Is(err, ErrSubmitUncertain) || attempts != 3 {
		t.Fatalf("err = %v after %d attempts; want a plain dial error after 3", err, attempts)
	}
}

func TestCallerGivingUpMidSubmitIsUncertain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{})
	e.inject(t, emulator.Fault{Route: "run", Kind: emulator.FaultDelay, DelayMS: 300},
		emulator.Fault{Route: "status", Kind: emulator.FaultDelay, DelayMS: 300})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.client.Run(ctx, smallInput("x"), RunOptions{})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrSubmitUncertain) {
		t.Fatalf("run: %v, want DeadlineExceeded and ErrSubmitUncertain", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = e.client.Status(ctx, "any")
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrSubmitUncertain) {
		t.Fatalf("status: %v, want only DeadlineExceeded", err)
	}
	if l := e.emu.Requests(); l.Counts["run"] != 1 || l.Counts["status"] != 1 {
		t.Errorf("counts = %v, want no retry after the caller gave up", l.Counts)
	}
}

func TestSlowAttemptTimesOutAndIsRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.Config{}, func(c *ClientConfig) { c.RequestTimeout = 50 * time.Millisecond })
	e.inject(t, emulator.Fault{Route: "health", Kind: emulator.FaultDelay, DelayMS: 300})
	if _, err := e.client.Health(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.Requests().Counts["health"]; n != 2 {
		t.Errorf("%d health requests, want 2", n)
	}
}
