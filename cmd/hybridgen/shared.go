package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"time"

	"hybridgen/internal/jobs"
)

// startReconciling takes over the jobs a previous run left in flight. Alone
// on the ledger (instance ""), every unsettled job is this server's: it is
// reconciled in the background at once. Sharing it, the server takes its
// lease now and reconciles, one server at a time, the jobs of servers whose
// lease expired, until stop is called, which releases its leases.
func startReconciling(ctx context.Context, m *jobs.Manager, instance string, ttl time.Duration, logger *slog.Logger) (stop func(), err error) {
	if instance == "" {
		// Only reads the ledger and starts followers, but nothing of it may
		// delay listening.
		go func() {
			if _, err := m.Reconcile(ctx); err != nil {
				logger.Error("reconcile in-flight jobs", "error", err.Error())
			}
		}()
		return func() {}, nil
	}
	stop, err = m.StartShared(ctx, ttl)
	if err != nil {
		return nil, err
	}
	logger.Info("sharing the ledger", "instance", instance, "lease_ttl", ttl.String())
	return stop, nil
}

// instanceName is the name given, or the host name and a random suffix:
// unique per run, so a restarted server never takes its dead self's lease.
func instanceName(given string) string {
	if given != "" {
		return given
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "hybridgen"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}
