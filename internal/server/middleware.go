package server

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// statusRecorder remembers the status code and body size written.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// LogRequests logs one structured line per request: method, path, status,
// bytes, duration and the Range header when present. It never logs request
// headers that may carry credentials.
func LogRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		completed := false
		// Deferred so a handler that aborts the connection (panics with
		// http.ErrAbortHandler) is logged too, marked aborted.
		defer func() { logRequest(logger, r, rec, start, completed) }()
		next.ServeHTTP(rec, r)
		completed = true
	})
}

func logRequest(logger *slog.Logger, r *http.Request, rec *statusRecorder, start time.Time, completed bool) {
	attrs := []any{
		"method", r.Method,
		"path", r.URL.Path,
		"status", rec.status,
		"bytes", rec.bytes,
		"duration", time.Since(start).Round(time.Microsecond),
	}
	if rng := r.Header.Get("Range"); rng != "" {
		attrs = append(attrs, "range", rng)
	}
	if !completed {
		attrs = append(attrs, "aborted", true)
	}
	logger.Info("request", attrs...)
}

// Recover turns a panicking handler into a 500 response and a logged stack.
func Recover(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("handler panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "internal server error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
