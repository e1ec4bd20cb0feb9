package jobs

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"hybridgen/internal/ledger"
	"hybridgen/internal/targets"
)

// TestUnconfirmedWaitsForTheWholeTTL runs the settle-at-estimate timer of
// an UNCONFIRMED job on synctest's clock: nothing happens a second before
// the target's one-hour ttl, and the job is charged its estimate, marked
// estimated, the moment it passes. A webhook that came first would have
// won: a second job settled before its ttl keeps its reported cost.
func TestUnconfirmedWaitsForTheWholeTTL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		lg, err := ledger.Open(ctx, filepath.Join(dir, "l.db"), ledger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer lg.Close()
		m := newManager(lg, slog.New(slog.DiscardHandler), time.Now)
		tg := &cloudTarget{cfg: targets.Target{Name: "emu", TTLSeconds: 3600, PricePerSecondUSD: 0.001}}
		for _, id := range []string{"img_silent", "img_reported"} {
			j, _, err := lg.CreateOrGet(ctx, ledger.NewJob{ID: id, Identity: LocalIdentity, ClientID: "c", Target: "emu",
				Kind: ledger.KindCloud, EstimatedCost: 4000, WorstCaseCost: 300000})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lg.MarkUnconfirmed(ctx, id, "unknown"); err != nil {
				t.Fatal(err)
			}
			m.watchUnconfirmed(j, tg)
		}
		if _, _, err := lg.Settle(ctx, "img_reported", ledger.Settlement{Status: ledger.StatusCompleted,
			Cost: 3300, RemoteID: "r1"}); err != nil {
			t.Fatal(err)
		}

		time.Sleep(time.Hour - time.Second)
		synctest.Wait()
		if j, _ := lg.Get(ctx, "img_silent"); j.Settled || j.Status != ledger.StatusUnconfirmed {
			t.Fatalf("settled before the ttl: %+v", j)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		silent, _ := lg.Get(ctx, "img_silent")
		if !silent.Settled || !silent.Estimated || silent.Cost != 4000 || silent.Status != ledger.StatusFailed {
			t.Fatalf("after the ttl: %+v", silent)
		}
		if reported, _ := lg.Get(ctx, "img_reported"); reported.Cost != 3300 || reported.Estimated {
			t.Fatalf("the estimate overwrote a reported cost: %+v", reported)
		}
		m.Close(time.Second)
	})
}
