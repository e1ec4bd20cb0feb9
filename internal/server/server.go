// Package server owns the HTTP lifecycle of hybridgen: the listener (capped
// in connections), the middleware every response passes through (security
// and cross-origin isolation headers, the loopback Host check against DNS
// rebinding, body and progress-based write deadlines, request logging,
// panic recovery) and graceful shutdown.
//
// It does not know what the routes do: callers build an [http.ServeMux] with
// the web app, the API and the model mirror, and hand it to [New].
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Config describes how the server listens and which headers it sets.
type Config struct {
	// Addr is the TCP address to listen on, for example "127.0.0.1:8080".
	// Port 0 picks a free port; [Server.Addr] reports the one chosen.
	Addr string
	// Handler serves every request after the middleware.
	Handler http.Handler
	// Logger receives one line per request and the lifecycle events.
	Logger *slog.Logger
	// Headers selects the response headers applied to every response.
	Headers HeaderPolicy
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// once shutdown starts. Zero means 10 seconds.
	ShutdownTimeout time.Duration
	// CheckHost turns on the Host check (see [CheckHost]): serve sets it
	// on loopback addresses. AllowedHosts are the extra names it accepts.
	CheckHost    bool
	AllowedHosts []string
	// HeaderTimeout bounds reading a request's headers (default 10 s);
	// BodyTimeout, WriteTimeout and WriteIdleTimeout are those of
	// [Deadlines] (defaults [DefaultBodyTimeout], [DefaultWriteTimeout],
	// [DefaultWriteIdleTimeout]).
	HeaderTimeout, BodyTimeout, WriteTimeout, WriteIdleTimeout time.Duration
	// MaxConns caps the connections open at once (default
	// [DefaultMaxConns]); further ones wait in the kernel's backlog.
	MaxConns int
	// MaxHeaderBytes caps a request's headers (default
	// [DefaultMaxHeaderBytes]).
	MaxHeaderBytes int
}

func (c *Config) applyDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HeaderTimeout, 10*time.Second)
	def(&c.BodyTimeout, DefaultBodyTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.WriteIdleTimeout, DefaultWriteIdleTimeout)
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
}

// Server is a configured HTTP server bound to a listener.
type Server struct {
	cfg      Config
	listener net.Listener
	http     *http.Server
}

// Listen binds the configured address and prepares the server. It returns an
// error wrapping the listen failure when the address cannot be bound.
func Listen(cfg Config) (*Server, error) {
	if cfg.Handler == nil {
		return nil, errors.New("server: Config.Handler is nil")
	}
	cfg.applyDefaults()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen on %q: %w", cfg.Addr, err)
	}
	handler := cfg.Headers.Apply(cfg.Handler)
	if cfg.CheckHost {
		handler = CheckHost(cfg.AllowedHosts, handler)
	}
	handler = Deadlines(cfg.BodyTimeout, cfg.WriteTimeout, cfg.WriteIdleTimeout, handler)
	handler = Recover(cfg.Logger, LogRequests(cfg.Logger, handler))
	return &Server{
		cfg:      cfg,
		listener: netutil.LimitListener(ln, cfg.MaxConns),
		http: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: cfg.HeaderTimeout,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    cfg.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		},
	}, nil
}

// Addr reports the address the server is listening on.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// URL reports a base URL a browser on this machine can open.
func (s *Server) URL() string {
	addr, ok := s.listener.Addr().(*net.TCPAddr)
	if !ok {
		return "http://" + s.listener.Addr().String()
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// Serve answers requests until ctx is cancelled, then shuts down gracefully:
// it stops accepting connections and waits up to Config.ShutdownTimeout for
// in-flight requests. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: serve: %w", err)
	case <-ctx.Done():
	}
	s.cfg.Logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: serve: %w", err)
	}
	return nil
}
