package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Defaults of the [Config] limits.
const (
	DefaultBodyTimeout      = 60 * time.Second
	DefaultWriteTimeout     = 2 * time.Minute
	DefaultWriteIdleTimeout = 30 * time.Second
	DefaultMaxConns         = 1024
	DefaultMaxHeaderBytes   = 64 << 10
)

// loopbackNames are the Host names a loopback server always answers.
var loopbackNames = []string{"localhost", "127.0.0.1", "::1"}

// CheckHost refuses (421) every request whose Host header, port aside, is
// neither a loopback name (localhost, 127.0.0.1, [::1]) nor one of extra.
// On a loopback listener this defeats DNS rebinding: a page on
// evil.example whose name resolves to 127.0.0.1 still sends
// "Host: evil.example".
func CheckHost(extra []string, next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, n := range append(append([]string{}, loopbackNames...), extra...) {
		allowed[strings.ToLower(strings.Trim(n, "[]"))] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[hostName(r.Host)] {
			http.Error(w, "this server does not answer for that host name", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostName is the lower-case host of a Host header, without port or
// brackets.
func hostName(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// Deadlines bounds how long one request may hold its connection:
//   - the body must arrive within body (a client sending one byte every
//     few seconds is cut off); the deadline is lifted once the body is read
//     to its end, so a long handler keeps its context;
//   - the answer gets write at first, and each write pushes the deadline
//     to idle after it, so a large file keeps streaming to a client that
//     reads, while one that stops reading is cut off idle after its last
//     progress.
func Deadlines(body, write, idle time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		_ = rc.SetWriteDeadline(now.Add(write))
		if r.Body == nil || r.Body == http.NoBody {
			_ = rc.SetReadDeadline(time.Time{})
		} else {
			_ = rc.SetReadDeadline(now.Add(body))
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		next.ServeHTTP(&progressWriter{ResponseWriter: w, rc: rc, idle: idle}, r)
	})
}

// deadlineBody lifts the read deadline once the body is read in full.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// progressWriter moves the write deadline forward on every write.
type progressWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (p *progressWriter) Write(b []byte) (int, error) {
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.idle))
	return p.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush, Hijack and deadlines.
func (p *progressWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }
