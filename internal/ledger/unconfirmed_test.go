package ledger_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"hybridgen/internal/ledger"
)

// TestUnconfirmedCountsAtWorstCase follows a job whose submission got no
// answer: SUBMITTING, then UNCONFIRMED (budgets see the worst case, usage
// shows it apart), then settled twice over: once by the webhook with the
// remote id it brought, and a late estimate that changes nothing.
func TestUnconfirmedCountsAtWorstCase(t *testing.T) { eachBackend(t, testUnconfirmedCountsAtWorstCase) }

func testUnconfirmedCountsAtWorstCase(t *testing.T, loc string) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	l := openAt(t, loc, func() time.Time { return now })
	n := cloudJob("j1", "c1", "k1")
	n.WorstCaseCost = 228000
	if _, _, err := l.CreateOrGet(ctx, n); err != nil {
		t.Fatal(err)
	}
	day0, day1 := ledger.DayWindow(now)
	if got, _ := l.Spend(ctx, "id-c1", day0, day1); got != 5000 {
		t.Fatalf("submitting spend = %d, want the estimate 5000", got)
	}
	if changed, err := l.MarkUnconfirmed(ctx, "j1", "outcome unknown"); err != nil || !changed {
		t.Fatalf("MarkUnconfirmed = %v, %v", changed, err)
	}
	if got, _ := l.Spend(ctx, "id-c1", day0, day1); got != 228000 {
		t.Fatalf("unconfirmed spend = %d, want the worst case 228000", got)
	}
	if got, _ := l.Spend(ctx, "id-c2", day0, day1); got != 0 {
		t.Fatalf("another identity's spend = %d", got)
	}
	u, err := l.Usage(ctx, day0, day1)
	if err != nil || u.Total.Unconfirmed != 1 || u.Total.UnconfirmedCost != 228000 || u.Total.InFlight != 0 || u.Total.InFlightCost != 0 {
		t.Fatalf("usage while unconfirmed = %+v, %v", u.Total, err)
	}
	j, now1, err := l.Settle(ctx, "j1", ledger.Settlement{Status: ledger.StatusCompleted,
		Execution: 3300 * time.Millisecond, Cost: 2508, RemoteID: "remote-7"})
	if err != nil || !now1 || j.RemoteID != "remote-7" || j.Cost != 2508 || j.Estimated {
		t.Fatalf("webhook settle = %+v, %v, %v", j, now1, err)
	}
	j, now2, err := l.Settle(ctx, "j1", ledger.Settlement{Status: ledger.StatusFailed, Cost: 5000, Estimated: true, RemoteID: "x"})
	if err != nil || now2 || j.Cost != 2508 || j.RemoteID != "remote-7" {
		t.Fatalf("late estimate changed the row: %+v, %v, %v", j, now2, err)
	}
	if changed, _ := l.MarkUnconfirmed(ctx, "j1", "again"); changed {
		t.Fatal("a settled row became unconfirmed")
	}
	if got, _ := l.Spend(ctx, "id-c1", day0, day1); got != 2508 {
		t.Fatalf("settled spend = %d, want 2508", got)
	}
}

// TestEstimatedSettlementIsReported settles a job the cloud never reported
// at its estimate and checks that usage counts it as estimated.
func TestEstimatedSettlementIsReported(t *testing.T) {
	eachBackend(t, testEstimatedSettlementIsReported)
}

func testEstimatedSettlementIsReported(t *testing.T, loc string) {
	ctx := context.Background()
	l := openAt(t, loc, nil)
	if _, _, err := l.CreateOrGet(ctx, cloudJob("j1", "c1", "k1")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.MarkUnconfirmed(ctx, "j1", "outcome unknown"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Settle(ctx, "j1", ledger.Settlement{Status: ledger.StatusFailed, Cost: 5000, Estimated: true}); err != nil {
		t.Fatal(err)
	}
	since, until := ledger.DayWindow(time.Now())
	u, err := l.Usage(ctx, since, until)
	if err != nil || u.Total.Estimated != 1 || u.Total.EstimatedCost != 5000 || u.Total.Cost != 5000 || u.Total.Unconfirmed != 0 {
		t.Fatalf("usage = %+v, %v", u.Total, err)
	}
}

// TestIdempotencyKeysArePerIdentity: the same client label and key under
// two identities are two jobs; under one identity, one.
func TestIdempotencyKeysArePerIdentity(t *testing.T) {
	eachBackend(t, testIdempotencyKeysArePerIdentity)
}

func testIdempotencyKeysArePerIdentity(t *testing.T, loc string) {
	ctx := context.Background()
	l := openAt(t, loc, nil)
	a := cloudJob("a", "c1", "k")
	b := cloudJob("b", "c1", "k")
	b.Identity = "someone-else"
	if _, c, err := l.CreateOrGet(ctx, a); err != nil || !c {
		t.Fatal(c, err)
	}
	if j, c, err := l.CreateOrGet(ctx, b); err != nil || !c || j.ID != "b" {
		t.Fatalf("other identity, same label and key: %+v %v %v", j, c, err)
	}
	if j, c, err := l.CreateOrGet(ctx, cloudJob("a2", "c1", "k")); err != nil || c || j.ID != "a" {
		t.Fatalf("replay: %+v %v %v", j, c, err)
	}
}

// TestSecretSurvivesReopen: the webhook secret is created once per file.
func TestSecretSurvivesReopen(t *testing.T) { eachBackend(t, testSecretSurvivesReopen) }

func testSecretSurvivesReopen(t *testing.T, loc string) {
	ctx := context.Background()
	path := loc
	l, err := ledger.Open(ctx, path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s1, err := l.Secret(ctx, "webhook")
	l.Close()
	if err != nil || len(s1) != 32 {
		t.Fatalf("secret = %x, %v", s1, err)
	}
	l2 := openAt(t, path, nil)
	s2, err := l2.Secret(ctx, "webhook")
	if err != nil || !bytes.Equal(s1, s2) {
		t.Fatalf("after reopen %x, %v; want %x", s2, err, s1)
	}
	if other, _ := l2.Secret(ctx, "other"); bytes.Equal(other, s1) {
		t.Fatal("two names share a secret")
	}
}
