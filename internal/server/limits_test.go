package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// startLimited serves handler with short deadlines, the Host check on.
func startLimited(t *testing.T, handler http.Handler) *Server {
	t.Helper()
	srv, err := Listen(Config{
		Addr: "127.0.0.1:0", Handler: handler, Logger: slog.New(slog.DiscardHandler),
		ShutdownTimeout: time.Second, CheckHost: true, AllowedHosts: []string{"canvas.example.com"},
		HeaderTimeout: time.Second, BodyTimeout: 500 * time.Millisecond,
		WriteTimeout: 2 * time.Second, WriteIdleTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv
}

// TestHostCheckRefusesRebinding sends what a DNS-rebinding page sends (its
// own name as Host and Origin) to a loopback server: refused before any
// handler runs. Loopback names on any port and the allowed name pass.
func TestHostCheckRefusesRebinding(t *testing.T) {
	var reached atomic.Int32
	srv := startLimited(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reached.Add(1) }))
	port := srv.Addr().(*net.TCPAddr).Port
	for host, want := range map[string]int{
		"evil.example":                       http.StatusMisdirectedRequest,
		fmt.Sprintf("evil.example:%d", port): http.StatusMisdirectedRequest,
		"127.0.0.1.evil.example":             http.StatusMisdirectedRequest,
		"localhost":                          http.StatusOK,
		fmt.Sprintf("localhost:%d", port):    http.StatusOK,
		"127.0.0.1:1234":                     http.StatusOK,
		"[::1]:8080":                         http.StatusOK,
		"LOCALHOST":                          http.StatusOK,
		"canvas.example.com":                 http.StatusOK,
	} {
		req, _ := http.NewRequest("POST", srv.URL()+"/api/images", strings.NewReader("{}"))
		req.Host = host
		req.Header.Set("Origin", "http://"+host)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q = %d, want %d", host, resp.StatusCode, want)
		}
	}
	if n := reached.Load(); n != 6 {
		t.Fatalf("handler reached %d times, want 6 (the allowed hosts)", n)
	}
}

// TestSlowClientsAreCutOff opens sockets that send a body one byte at a
// time and sockets that never read a large answer, and checks that the
// server closes each within its deadline while a normal client is served
// meanwhile.
func TestSlowClientsAreCutOff(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 64<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(big) })
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := startLimited(t, mux)
	addr := srv.Addr().String()

	// closedWithin drips a byte at a time into conn (a slow body) until the
	// server closes it, and checks it did within limit.
	closedWithin := func(name string, conn net.Conn, limit time.Duration) {
		t.Helper()
		start := time.Now()
		buf := make([]byte, 1)
		for time.Since(start) < 10*time.Second {
			if _, err := conn.Write([]byte("a")); err != nil {
				break
			}
			_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, err := conn.Read(buf); err != nil && !isTimeout(err) {
				break
			}
		}
		if d := time.Since(start); d > limit {
			t.Errorf("%s: closed after %s, want within %s", name, d, limit)
		}
	}
	// drained reads what the kernel buffered of a socket the server gave up
	// on: it must end (EOF or reset) quickly and well short of the answer.
	drained := func(name string, conn net.Conn, limit time.Duration) {
		t.Helper()
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(10 * time.Second))
		n, err := io.Copy(io.Discard, conn)
		if d := time.Since(start); d > limit || isTimeout(err) || n >= int64(len(big)) {
			t.Errorf("%s: read %d bytes over %s (%v), want the server to have closed it", name, n, d, err)
		}
	}
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	// Slow body: headers promise 1 MB, then a byte every 200 ms.
	slow := dial()
	fmt.Fprintf(slow, "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n")
	// Never-read: ask for 64 MiB and read nothing.
	stuck := dial()
	fmt.Fprintf(stuck, "GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")

	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Get(srv.URL() + "/ok")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("normal client while slow ones hang: %v %v", resp, err)
			return
		}
		resp.Body.Close()
	}()
	// Never-read: read nothing for a while; the server's write deadline
	// (idle 500 ms after its last progress) must close it.
	time.Sleep(1500 * time.Millisecond)
	drained("never-read socket", stuck, time.Second)
	closedWithin("slow body", slow, 3*time.Second)
	<-done
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
