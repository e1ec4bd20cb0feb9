package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hybridgen/internal/ledger"
)

// DefaultLeaseTTL is how long a server's lease lasts without renewal: a
// server killed mid-job has its jobs taken over by another about this long
// after its last renewal. Leases are renewed every third of it.
const DefaultLeaseTTL = 10 * time.Second

// StartShared runs this server as one of several sharing the ledger
// (Config.Instance set). It takes the server's lease before returning, so
// no other server takes over the jobs it is about to create, and takes
// over the jobs a previous run under the same name left in flight; then, until
// ctx ends, renews it and, while it holds the reconciler lease (one server
// at a time), takes over the in-flight jobs of servers whose lease expired
// and reconciles them as [Manager.Reconcile] does. The returned stop waits for
// the loop and releases the leases (a clean shutdown: others take over at
// once).
func (m *Manager) StartShared(ctx context.Context, ttl time.Duration) (stop func(), err error) {
	self := m.instance
	if self == "" {
		return nil, errors.New("jobs: StartShared needs Config.Instance")
	}
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	if ok, err := m.ledger.Lease(ctx, ledger.ServerLease(self), self, ttl); err != nil || !ok {
		return nil, fmt.Errorf("jobs: take the lease of server %s: held=%v: %w", self, ok, err)
	}
	if err := m.reconcileOwn(ctx); err != nil {
		return nil, err
	}
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.sharedLoop(loopCtx, ttl)
	}()
	return func() {
		cancel()
		<-done
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer rcancel()
		for _, name := range []string{ledger.ReconcilerLease, ledger.ServerLease(self)} {
			if err := m.ledger.Release(rctx, name, self); err != nil {
				m.log.Warn("release lease", "lease", name, "error", err.Error())
			}
		}
	}, nil
}

// reconcileOwn takes over the jobs a previous run under the same instance
// name left in flight: this run has created none yet, and no other server
// claims them while the name's lease is renewed.
func (m *Manager) reconcileOwn(ctx context.Context) error {
	rows, err := m.ledger.Unsettled(ctx)
	if err != nil {
		return fmt.Errorf("jobs: reconcile: %w", err)
	}
	own := rows[:0]
	for _, j := range rows {
		if j.Owner == m.instance {
			own = append(own, j)
		}
	}
	if len(own) == 0 {
		return nil
	}
	_, err = m.reconcileRows(ctx, own)
	return err
}

func (m *Manager) sharedLoop(ctx context.Context, ttl time.Duration) {
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for {
		m.sharedRound(ctx, ttl)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sharedRound renews this server's lease and, as the reconciler, takes
// over the jobs of dead servers.
func (m *Manager) sharedRound(ctx context.Context, ttl time.Duration) {
	self := m.instance
	if _, err := m.ledger.Lease(ctx, ledger.ServerLease(self), self, ttl); err != nil {
		m.log.Warn("renew server lease", "instance", self, "error", err.Error())
		return
	}
	held, err := m.ledger.Lease(ctx, ledger.ReconcilerLease, self, ttl)
	if err != nil || !held {
		return
	}
	rows, err := m.ledger.ClaimOrphans(ctx, self)
	if err != nil {
		m.log.Warn("take over the jobs of dead servers", "error", err.Error())
		return
	}
	if len(rows) == 0 {
		return
	}
	if _, err := m.reconcileRows(ctx, rows); err != nil {
		m.log.Error("reconcile the jobs of dead servers", "error", err.Error())
	}
}
