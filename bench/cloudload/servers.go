package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"hybridgen/internal/api"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
	"hybridgen/internal/targets"
)

// ledgerLocation returns a fresh ledger for run i: a SQLite file in dir, or,
// with a postgres:// URL, a new schema of that database (its search_path).
func ledgerLocation(ctx context.Context, db, dir string, i int) (string, error) {
	if db == "" {
		return filepath.Join(dir, "ledger.db"), nil
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", ledger.Redact(db), err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("cloudload_%d_%d", os.Getpid(), i)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		return "", fmt.Errorf("create schema: %w", err)
	}
	sep := "?"
	if strings.Contains(db, "?") {
		sep = "&"
	}
	return db + sep + "search_path=" + schema, nil
}

// startServers starts n API servers on the ledger at loc, each with its own
// ledger handle (as separate processes would have) and, when n > 1, its own
// instance name. The caller closes them with the returned func.
func startServers(ctx context.Context, loc string, n int, tg targets.Target, transport *http.Transport) (urls []string, first *ledger.Ledger, stop func(), err error) {
	var closers []func()
	stop = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	for i := range n {
		lg, err := ledger.Open(ctx, loc, ledger.Options{})
		if err != nil {
			stop()
			return nil, nil, nil, err
		}
		closers = append(closers, func() { lg.Close() })
		if first == nil {
			first = lg
		}
		instance := ""
		if n > 1 {
			instance = fmt.Sprintf("server-%d", i+1)
		}
		mux := http.NewServeMux()
		srv := httptest.NewUnstartedServer(mux)
		m, err := jobs.New(jobs.Config{Ledger: lg, Targets: targets.Config{Default: "emu", Targets: []targets.Target{tg}},
			PublicURL: "http://" + srv.Listener.Addr().String(), Instance: instance,
			Logger: slog.New(slog.DiscardHandler), HTTPClient: &http.Client{Transport: transport},
			PollInterval: 50 * time.Millisecond, MaxPollInterval: 500 * time.Millisecond})
		if err != nil {
			stop()
			return nil, nil, nil, err
		}
		closers = append(closers, func() { m.Close(time.Second) })
		a, err := api.New(api.Config{Jobs: m})
		if err != nil {
			stop()
			return nil, nil, nil, err
		}
		a.Register(mux)
		srv.Start()
		closers = append(closers, srv.Close)
		urls = append(urls, srv.URL)
	}
	return urls, first, stop, nil
}
