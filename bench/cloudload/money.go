package main

import (
	"context"
	"fmt"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/ledger"
)

// faultMix spreads round(n × rate) faults over eight kinds: the two
// ambiguous submits (the job is created, then the answer is a 500 or a
// dropped connection), refusals RunPod sends before creating anything
// (429, 503: retried), status failures (500, dropped: retried), and jobs
// that fail or time out after running (billed). A /run fault that fails
// before the job exists yet looks ambiguous (a bare 500, a drop before
// handling) is left out: the server rightly cannot tell it from the
// ambiguous ones, so it counts the worst case until the ttl and then the
// estimate, and no ledger could equal what the emulator billed.
func faultMix(n int, rate float64) []emulator.Fault {
	kinds := []emulator.Fault{
		{Route: "run", Kind: emulator.FaultDropAfter},
		{Route: "run", Kind: emulator.FaultErrorAfter},
		{Route: "run", Kind: emulator.HTTPFault(429)},
		{Route: "run", Kind: emulator.HTTPFault(503)},
		{Route: "status", Kind: emulator.HTTPFault(500)},
		{Route: "status", Kind: emulator.FaultDrop},
		{Kind: emulator.FaultJobFailed, Message: "CUDA out of memory"},
		{Kind: emulator.FaultJobTimedOut},
	}
	total := int(float64(n)*rate + 0.5)
	faults := make([]emulator.Fault, 0, total)
	for i := range total {
		faults = append(faults, kinds[i%len(kinds)])
	}
	return faults
}

// checkMoney compares the ledger with the emulator's bill: the ledger's
// spend (settled cost plus the worst case of jobs still unconfirmed) must
// equal the sum over every job the emulator ran of price × its execution
// time, to the micro-dollar.
func checkMoney(ctx context.Context, lg *ledger.Ledger, reqs emulator.RequestLog, faults []emulator.Fault, unconfirmed int) (string, error) {
	var billed ledger.Micros
	for _, ms := range reqs.ExecutionMS {
		billed += ledger.CostOf(price, time.Duration(ms)*time.Millisecond)
	}
	u, err := lg.Usage(ctx, time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil {
		return "", err
	}
	spend := u.Total.Cost + u.Total.InFlightCost + u.Total.UnconfirmedCost
	ambiguous := 0
	for _, f := range faults {
		if f.Kind == emulator.FaultDropAfter || f.Kind == emulator.FaultErrorAfter {
			ambiguous++
		}
	}
	line := fmt.Sprintf("money     faults %d (ambiguous submits %d, answered UNCONFIRMED %d, webhooks %d); "+
		"ledger spend %s (confirmed %s + unconfirmed %s, %d estimated) vs emulator billed %s over %d jobs: difference %d µ$",
		len(faults), ambiguous, unconfirmed, reqs.Webhooks, spend, u.Total.Cost, u.Total.UnconfirmedCost,
		u.Total.Estimated, billed, len(reqs.ExecutionMS), int64(spend-billed))
	// A job the webhook settled before /run's failure was seen is answered
	// settled, not UNCONFIRMED: unconfirmed <= ambiguous.
	if spend != billed || unconfirmed > ambiguous || u.Total.Estimated != 0 {
		return line, fmt.Errorf("the ledger's spend differs from what the emulator billed")
	}
	return line, nil
}
