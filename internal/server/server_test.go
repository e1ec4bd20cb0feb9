package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func startTestServer(t *testing.T, handler http.Handler, headers HeaderPolicy) (*Server, context.CancelFunc, <-chan error, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	srv, err := Listen(Config{
		Addr:            "127.0.0.1:0",
		Handler:         handler,
		Logger:          slog.New(slog.NewJSONHandler(&logs, nil)),
		Headers:         headers,
		ShutdownTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(cancel)
	return srv, cancel, done, &logs
}

func TestHeadersMakePagesCrossOriginIsolated(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	srv, _, _, _ := startTestServer(t, ok, DefaultHeaderPolicy())
	resp, err := http.Get(srv.URL() + "/page")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := map[string]string{
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Embedder-Policy": "require-corp",
		"Cross-Origin-Resource-Policy": "same-origin",
		"X-Content-Type-Options":       "nosniff",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "'wasm-unsafe-eval'") || !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q, want same-origin with wasm compilation allowed", csp)
	}
}

func TestIsolationCanBeTurnedOff(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	policy := DefaultHeaderPolicy()
	policy.CrossOriginIsolation = false
	srv, _, _, _ := startTestServer(t, ok, policy)
	resp, err := http.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Cross-Origin-Embedder-Policy"); got != "" {
		t.Errorf("COEP = %q with isolation off, want none", got)
	}
	if got := resp.Header.Get("Cross-Origin-Resource-Policy"); got != "same-origin" {
		t.Errorf("CORP = %q, want same-origin always", got)
	}
}

func TestAPIResponsesCarryNoCSP(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	srv, _, _, _ := startTestServer(t, ok, DefaultHeaderPolicy())
	resp, err := http.Get(srv.URL() + "/api/usage")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); got != "" {
		t.Errorf("CSP on an API response = %q, want none", got)
	}
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	started := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "finished")
	})
	srv, cancel, done, logs := startTestServer(t, slow, DefaultHeaderPolicy())
	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(srv.URL())
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{string(b), err}
	}()
	<-started
	cancel()
	r := <-res
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request during shutdown: body %q, err %v", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve after shutdown: %v", err)
	}
	if _, err := http.Get(srv.URL()); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
	if !strings.Contains(logs.String(), `"msg":"request"`) || !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("logs miss the request line or the shutdown line:\n%s", logs)
	}
}

func TestPanicBecomes500AndIsLogged(t *testing.T) {
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	srv, _, _, logs := startTestServer(t, boom, DefaultHeaderPolicy())
	resp, err := http.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "handler panic") {
		t.Errorf("panic not logged:\n%s", logs)
	}
}

func TestListenReportsBusyAddress(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	srv, _, _, _ := startTestServer(t, ok, DefaultHeaderPolicy())
	_, err := Listen(Config{Addr: srv.Addr().String(), Handler: ok})
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("Listen on a busy address: err = %v, want a wrapped listen error", err)
	}
}
