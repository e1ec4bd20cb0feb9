package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hybridgen/internal/api"
	"hybridgen/internal/emulator"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
	"hybridgen/internal/targets"
)

// webhookURL is the URL the emulator recorded for the job it created last:
// the one RunPod would call.
func (e *env) webhookURL(t *testing.T) string {
	t.Helper()
	hooks := e.emu.Requests().WebhookURLs
	if len(hooks) == 0 {
		t.Fatal("no job was submitted with a webhook")
	}
	return hooks[len(hooks)-1]
}

// TestWebhookReconcilesUnconfirmedJobs: for each ambiguous fault the job
// exists on the emulator but the server never got its id. The job stays
// UNCONFIRMED (worst case against budgets) until the emulator's webhook
// brings its final state; then it is charged exactly what the emulator
// billed, with the image and the RunPod id attached, and only one job ever
// ran.
func TestWebhookReconcilesUnconfirmedJobs(t *testing.T) {
	t.Parallel()
	for _, kind := range []emulator.FaultKind{emulator.FaultDropAfter, emulator.FaultErrorAfter} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, envOptions{webhook: true, emu: emulator.Config{ExecutionTime: 300 * time.Millisecond, Workers: 1}})
			if err := e.emu.InjectFaults(emulator.Fault{Route: "run", Kind: kind}); err != nil {
				t.Fatal(err)
			}
			r := e.do("POST", "/api/images", imageBody("k", nil))
			var v jobs.JobView
			r.decode(t, &v)
			if r.code != http.StatusAccepted || v.Status != "UNCONFIRMED" || !strings.Contains(v.Error, "not retried") {
				t.Fatalf("POST = %d %s", r.code, r.body)
			}
			if got := e.spend(); got != ledger.FromUSD(v.WorstCaseCostUSD) || got == 0 {
				t.Fatalf("budgets see %v while unconfirmed, want the worst case %v", got, v.WorstCaseCostUSD)
			}
			done := e.waitSettled(v.ID)
			row := e.allJobs()[0]
			remote := e.remoteStatus(row.RemoteID)
			if done.Status != "COMPLETED" || done.Image == "" || done.Estimated || row.RemoteID == "" ||
				row.Cost != ledger.CostOf(testPrice, remote.ExecutionTime) || row.Cost == 0 {
				t.Fatalf("reconciled = %+v, row %+v, remote %+v", done, row, remote)
			}
			if reqs := e.emu.Requests(); reqs.JobsCreated != 1 || reqs.Counts["run"] != 1 || reqs.Webhooks != 1 {
				t.Fatalf("emulator saw %+v", reqs)
			}
		})
	}
}

// TestWebhookIsAuthenticatedAndIdempotent replays, forges and misdirects
// webhook deliveries.
func TestWebhookIsAuthenticatedAndIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{webhook: true})
	r := e.do("POST", "/api/images", imageBody("k", nil))
	var v jobs.JobView
	r.decode(t, &v)
	done := e.waitSettled(v.ID)
	hook := e.webhookURL(t)
	if !strings.Contains(hook, v.ID) {
		t.Fatalf("webhook %s does not name job %s", hook, v.ID)
	}
	row := e.allJobs()[0]
	report, _ := json.Marshal(map[string]any{"id": row.RemoteID, "status": "COMPLETED", "executionTime": 999999,
		"output": map[string]any{"images": []string{"data:image/png;base64,AAAA"}, "seed": 1}})
	post := func(url string, body []byte) int {
		t.Helper()
		resp, err := http.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(hook, report); code != http.StatusOK {
		t.Fatalf("second delivery = %d", code)
	}
	forged := hook[:len(hook)-4] + "0000"
	if code := post(forged, report); code != http.StatusNotFound {
		t.Fatalf("forged signature = %d", code)
	}
	other := strings.Replace(hook, v.ID, "img_other", 1)
	if code := post(other, report); code != http.StatusNotFound {
		t.Fatalf("signature of another job = %d", code)
	}
	if again := e.waitSettled(v.ID); again.CostUSD != done.CostUSD || again.ExecutionSeconds != done.ExecutionSeconds {
		t.Fatalf("a replayed webhook changed the job: %+v, was %+v", again, done)
	}

	// A report for another RunPod job is refused for an unsettled row.
	if err := e.emu.InjectFaults(emulator.Fault{Route: "run", Kind: emulator.FaultDrop}); err != nil {
		t.Fatal(err)
	}
	e.do("POST", "/api/images", imageBody("k2", nil)).decode(t, &v)
	if err := e.ledger.MarkSubmitted(t.Context(), v.ID, "remote-a", ledger.StatusInQueue); err != nil {
		t.Fatal(err)
	}
	wrong, _ := json.Marshal(map[string]any{"id": "remote-b", "status": "COMPLETED", "executionTime": 5})
	if code := post(e.webhookURL(t), wrong); code != http.StatusConflict {
		t.Fatalf("report for another RunPod job = %d", code)
	}
}

// TestUnconfirmedSettlesAtEstimateAfterTTL: without a webhook nothing can
// report a job whose id never came back; once its ttl passes it is charged
// its estimate, marked estimated, never 0.
func TestUnconfirmedSettlesAtEstimateAfterTTL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{target: func(tg *targets.Target) { tg.TTLSeconds = 0.3 }})
	if err := e.emu.InjectFaults(emulator.Fault{Route: "run", Kind: emulator.FaultDropAfter}); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/api/images", imageBody("k", nil))
	var v jobs.JobView
	r.decode(t, &v)
	if v.Status != "UNCONFIRMED" {
		t.Fatalf("POST = %d %s", r.code, r.body)
	}
	done := e.waitSettled(v.ID)
	if done.Status != "FAILED" || !done.Estimated || done.CostUSD != done.EstimatedCostUSD || done.CostUSD == 0 ||
		!strings.Contains(done.Error, "ttl") {
		t.Fatalf("after the ttl = %+v", done)
	}
	var u jobs.UsageView
	e.do("GET", "/api/usage", nil).decode(t, &u)
	if u.Total.EstimatedJobs != 1 || u.Total.Unconfirmed != 0 || u.Total.CostUSD != done.CostUSD {
		t.Fatalf("usage = %+v", u.Total)
	}
}

// TestIdentityBudgetsUnderConcurrentRenders fires 50 concurrent renders,
// each with its own client_id, under a per-client budget that fits 3 and a
// burst of 10: client_id is only a label, so exactly 3 are accepted on the
// loopback identity; a token's identity has its own 3.
func TestIdentityBudgetsUnderConcurrentRenders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{
		budgets: jobs.Budgets{ClientDailyUSD: 0.0035}, // 3 × 0.00114
		access:  api.Access{Tokens: []api.Token{{Name: "carol", Secret: "tok-carol"}}},
		emu:     emulator.Config{ExecutionTime: time.Second, Workers: 4},
	})
	count := func(headers ...string) map[int]int {
		codes := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				r := e.do("POST", "/api/images", imageBody(fmt.Sprintf("k%d-%d", i, len(headers)), map[string]any{"client_id": fmt.Sprint("rotating-", i)}), headers...)
				mu.Lock()
				codes[r.code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return codes
	}
	if codes := count(); codes[http.StatusAccepted] != 3 || codes[http.StatusPaymentRequired] != 47 {
		t.Fatalf("loopback identity: %v", codes)
	}
	if codes := count("Authorization", "Bearer tok-carol"); codes[http.StatusAccepted] != 3 || codes[http.StatusPaymentRequired] != 47 {
		t.Fatalf("token identity: %v", codes)
	}
	if n := e.emu.Requests().JobsCreated; n != 6 {
		t.Fatalf("emulator created %d jobs, want 6", n)
	}
}

// TestRateLimitKeysOnIdentity: a burst of 10 allows 10 of 15 renders with
// rotating client_id.
func TestRateLimitKeysOnIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{rate: jobs.RateLimit{PerMinute: 1, Burst: 10}})
	accepted := 0
	for i := range 15 {
		r := e.do("POST", "/api/images", imageBody(fmt.Sprint("k", i), map[string]any{"client_id": fmt.Sprint("c", i)}))
		switch r.code {
		case http.StatusAccepted:
			accepted++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("render %d = %d %s", i, r.code, r.body)
		}
	}
	if accepted != 10 {
		t.Fatalf("%d of 15 accepted, want the burst of 10", accepted)
	}
}
