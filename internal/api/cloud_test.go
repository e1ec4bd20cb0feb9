package api_test

import (
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

func TestRenderThroughEmulatorChargesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	r := e.do("POST", "/api/images", imageBody("k1", map[string]any{"seed": 42, "guidance": 6.5}))
	if r.code != http.StatusAccepted {
		t.Fatalf("POST = %d %s", r.code, r.body)
	}
	var v jobs.JobView
	r.decode(t, &v)
	if v.ID == "" || v.Kind != "cloud" || v.Target != "emu" || v.EstimatedCostUSD <= 0 {
		t.Fatalf("accepted job = %+v", v)
	}
	done := e.waitSettled(v.ID)
	if done.Status != "COMPLETED" || !strings.HasPrefix(done.Image, "data:image/png;base64,") || done.Seed == nil || *done.Seed != 42 {
		t.Fatalf("settled job = %+v", done)
	}
	rows := e.allJobs()
	if len(rows) != 1 {
		t.Fatalf("ledger has %d rows, want 1", len(rows))
	}
	row := rows[0]
	remote := e.remoteStatus(row.RemoteID)
	if remote.ExecutionTime <= 0 || row.Execution != remote.ExecutionTime.Truncate(time.Millisecond) {
		t.Fatalf("ledger execution %v, emulator %v", row.Execution, remote.ExecutionTime)
	}
	if want := ledger.CostOf(testPrice, remote.ExecutionTime); row.Cost != want || want == 0 {
		t.Fatalf("cost = %v, want %v (price × execution %v)", row.Cost, want, remote.ExecutionTime)
	}
	if done.CostUSD != row.Cost.USD() {
		t.Fatalf("response cost %v, ledger %v", done.CostUSD, row.Cost.USD())
	}
	if reqs := e.emu.Requests(); reqs.JobsCreated != 1 {
		t.Fatalf("emulator created %d jobs", reqs.JobsCreated)
	}
}

func TestIdempotencyKeyOneJobOneCharge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	first := e.do("POST", "/api/images", imageBody("same", nil))
	if first.code != http.StatusAccepted {
		t.Fatalf("first = %d %s", first.code, first.body)
	}
	var v1 jobs.JobView
	first.decode(t, &v1)
	again := e.do("POST", "/api/images", imageBody("same", nil))
	var v2 jobs.JobView
	again.decode(t, &v2)
	if again.code != http.StatusOK || again.header.Get("Idempotent-Replayed") != "true" || v2.ID != v1.ID {
		t.Fatalf("replay = %d %s", again.code, again.body)
	}

	// Concurrent duplicates of a new key.
	var wg sync.WaitGroup
	ids := make([]string, 12)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/api/images", imageBody("concurrent", nil))
			var v jobs.JobView
			r.decode(t, &v)
			if r.code != http.StatusAccepted && r.code != http.StatusOK {
				t.Errorf("concurrent POST = %d %s", r.code, r.body)
			}
			ids[i] = v.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent duplicates got ids %v", ids)
		}
	}
	e.waitSettled(v1.ID)
	e.waitSettled(ids[0])
	// A key reused for another request is a conflict, not a new job.
	conflict := e.do("POST", "/api/images", imageBody("same", map[string]any{"prompt": "something else"}))
	if conflict.code != http.StatusConflict || !strings.Contains(string(conflict.body), api.CodeIdempotencyConflict) {
		t.Fatalf("reused key = %d %s", conflict.code, conflict.body)
	}
	rows := e.allJobs()
	if len(rows) != 2 || e.emu.Requests().JobsCreated != 2 {
		t.Fatalf("%d rows, %d remote jobs; want 2 and 2", len(rows), e.emu.Requests().JobsCreated)
	}
	for _, j := range rows {
		if !j.Settled || j.Cost <= 0 || j.Cost != ledger.CostOf(testPrice, j.Execution) {
			t.Fatalf("row %+v", j)
		}
	}
}

// TestEmulatorFaults runs one render per injected fault and checks the
// documented outcome: retried then COMPLETED, or a clear error with the row
// settled (never charged twice, never left in flight).
func TestEmulatorFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		fault      emulator.Fault
		wantCode   int    // answer to POST /api/images
		wantStatus string // final ledger status
		billed     bool   // cost = price × execution (> 0), else 0
		wantErr    string // substring of the row's error
		minCalls   int    // requests the fault's route must have seen (retries), 0: unchecked
	}{
		{"429 on run is retried", emulator.Fault{Route: "run", Kind: emulator.HTTPFault(429), RetryAfter: 0}, 202, "COMPLETED", true, "", 2},
		{"503 on run is retried", emulator.Fault{Route: "run", Kind: emulator.HTTPFault(503)}, 202, "COMPLETED", true, "", 2},
		{"dropped status connections are retried", emulator.Fault{Route: "status", Kind: emulator.FaultDrop, Count: 2}, 202, "COMPLETED", true, "", 3},
		{"500 on status is retried", emulator.Fault{Route: "status", Kind: emulator.HTTPFault(500), Count: 2}, 202, "COMPLETED", true, "", 3},
		{"500 on run is not retried", emulator.Fault{Route: "run", Kind: emulator.HTTPFault(500)}, 202, "UNCONFIRMED", false, "may have run", 1},
		{"dropped connection after run", emulator.Fault{Route: "run", Kind: emulator.FaultDropAfter}, 202, "UNCONFIRMED", false, "may have run", 0},
		{"job created then 500", emulator.Fault{Route: "run", Kind: emulator.FaultErrorAfter}, 202, "UNCONFIRMED", false, "may have run", 1},
		{"401 on run", emulator.Fault{Route: "run", Kind: emulator.HTTPFault(401)}, 502, "FAILED", false, "refused the server's API key", 0},
		{"429 on run that never ends", emulator.Fault{Route: "run", Kind: emulator.HTTPFault(429), Count: -1}, 502, "FAILED", false, "rate limiting", 4},
		{"dropped connection before run is handled", emulator.Fault{Route: "run", Kind: emulator.FaultDrop}, 202, "UNCONFIRMED", false, "may have run", 0},
		{"slow status answers", emulator.Fault{Route: "status", Kind: emulator.FaultDelay, DelayMS: 100, Count: 3}, 202, "COMPLETED", true, "", 0},
		{"job FAILED is billed", emulator.Fault{Kind: emulator.FaultJobFailed, Message: "CUDA out of memory"}, 202, "FAILED", true, "CUDA out of memory", 0},
		{"job TIMED_OUT is billed and says which timeout", emulator.Fault{Kind: emulator.FaultJobTimedOut}, 202, "TIMED_OUT", true, "execution timeout of 1s", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			if err := e.emu.InjectFaults(tc.fault); err != nil {
				t.Fatal(err)
			}
			r := e.do("POST", "/api/images", imageBody("k", nil))
			if r.code != tc.wantCode {
				t.Fatalf("POST = %d %s, want %d", r.code, r.body, tc.wantCode)
			}
			// No internal URL, endpoint id or Go error chain reaches the user.
			host := strings.TrimPrefix(e.emuSrv.URL, "http://")
			for _, leak := range []string{host, "/v2/", "/" + e.emu.EndpointID() + "/", "runpod:", "Post \"", "EOF"} {
				if strings.Contains(string(r.body), leak) {
					t.Fatalf("the answer shows %q: %s", leak, r.body)
				}
			}
			var id string
			if r.code == http.StatusBadGateway {
				var body struct {
					Error api.ErrorDetail `json:"error"`
					Job   jobs.JobView    `json:"job"`
				}
				r.decode(t, &body)
				if body.Error.Code != api.CodeUpstream || !body.Job.Settled {
					t.Fatalf("502 body = %s", r.body)
				}
				id = body.Job.ID
			} else {
				var v jobs.JobView
				r.decode(t, &v)
				id = v.ID
			}
			var v jobs.JobView
			if tc.wantStatus == "UNCONFIRMED" {
				e.do("GET", "/api/images/"+id, nil).decode(t, &v)
			} else {
				v = e.waitSettled(id)
			}
			if tc.minCalls > 0 {
				if got := e.emu.Requests().Counts[tc.fault.Route]; got < tc.minCalls {
					t.Fatalf("%s requests = %d, want at least %d", tc.fault.Route, got, tc.minCalls)
				}
			}
			if tc.fault.Route == "run" && tc.minCalls == 1 && e.emu.Requests().Counts["run"] != 1 {
				t.Fatalf("an uncertain submission was retried: %d run requests", e.emu.Requests().Counts["run"])
			}
			rows := e.allJobs()
			if len(rows) != 1 {
				t.Fatalf("%d ledger rows", len(rows))
			}
			row := rows[0]
			if string(row.Status) != tc.wantStatus || v.Status != tc.wantStatus {
				t.Fatalf("status = %s (view %s), want %s; error %q", row.Status, v.Status, tc.wantStatus, row.Error)
			}
			if !strings.Contains(row.Error, tc.wantErr) {
				t.Fatalf("error = %q, want it to contain %q", row.Error, tc.wantErr)
			}
			switch {
			case tc.billed && (row.Cost <= 0 || row.Cost != ledger.CostOf(testPrice, row.Execution)):
				t.Fatalf("billed job cost %v for execution %v", row.Cost, row.Execution)
			case !tc.billed && row.Cost != 0:
				t.Fatalf("unbilled job cost %v", row.Cost)
			case tc.wantStatus == "UNCONFIRMED" && (row.Settled || row.WorstCaseCost <= 0 || e.spend() != row.WorstCaseCost):
				t.Fatalf("unconfirmed row %+v counts %v against budgets, want its worst case", row, e.spend())
			}
			// A retry of the same request never submits or charges again.
			again := e.do("POST", "/api/images", imageBody("k", nil))
			if again.code != http.StatusOK || len(e.allJobs()) != 1 {
				t.Fatalf("replay after fault = %d %s", again.code, again.body)
			}
			if created := e.emu.Requests().JobsCreated; created > 1 {
				t.Fatalf("emulator created %d jobs", created)
			}
			e.emu.ClearFaults()
		})
	}
}

// TestExpiredTTLSettlesAtEstimate: a job RunPod forgets (its ttl passed)
// before reporting its end may have run, so it is charged its estimate,
// marked estimated, never 0.
func TestExpiredTTLSettlesAtEstimate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{
		emu:    emulator.Config{ExecutionTime: 2 * time.Second, Workers: 1},
		target: func(tg *targets.Target) { tg.TTLSeconds = 0.1 },
	})
	r := e.do("POST", "/api/images", imageBody("ttl", nil))
	var v jobs.JobView
	r.decode(t, &v)
	done := e.waitSettled(v.ID)
	if done.Status != "FAILED" || !done.Estimated || done.CostUSD != done.EstimatedCostUSD || done.CostUSD == 0 ||
		!strings.Contains(done.Error, "no longer knows") {
		t.Fatalf("expired job = %+v", done)
	}
}

func TestCancelReachesEmulator(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{emu: emulator.Config{ExecutionTime: 3 * time.Second, Workers: 1},
		target: func(tg *targets.Target) { tg.ExecutionTimeoutSeconds = 30 }})
	r := e.do("POST", "/api/images", imageBody("c", nil))
	var v jobs.JobView
	r.decode(t, &v)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var cur jobs.JobView
		e.do("GET", "/api/images/"+v.ID, nil).decode(t, &cur)
		if cur.Status == "IN_PROGRESS" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never started: %+v", cur)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := e.do("POST", "/api/images/"+v.ID+"/cancel", nil)
	if c.code != http.StatusAccepted {
		t.Fatalf("cancel = %d %s", c.code, c.body)
	}
	done := e.waitSettled(v.ID)
	if done.Status != "CANCELLED" {
		t.Fatalf("after cancel = %+v", done)
	}
	row := e.allJobs()[0]
	cancels := e.emu.Requests().Cancels
	if len(cancels) != 1 || cancels[0].JobID != row.RemoteID || cancels[0].StatusBefore != "IN_PROGRESS" {
		t.Fatalf("emulator cancels = %+v, remote id %s", cancels, row.RemoteID)
	}
	if row.Cost != ledger.CostOf(testPrice, row.Execution) || row.Execution <= 0 || row.Execution >= 3*time.Second {
		t.Fatalf("cancelled row = %+v", row)
	}
	// Cancelling a settled job changes nothing.
	if again := e.do("POST", "/api/images/"+v.ID+"/cancel", nil); again.code != http.StatusOK {
		t.Fatalf("second cancel = %d", again.code)
	}
	if n := e.do("POST", "/api/images/img_nope/cancel", nil); n.code != http.StatusNotFound {
		t.Fatalf("cancel unknown = %d", n.code)
	}
}

func TestManyClientsLedgerComplete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{emu: emulator.Config{ExecutionTime: 5 * time.Millisecond, Workers: 8}})
	var wg sync.WaitGroup
	ids := make([]string, 30)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := imageBody(fmt.Sprintf("k%d", i), map[string]any{"client_id": fmt.Sprintf("c%d", i%5)})
			r := e.do("POST", "/api/images", body)
			var v jobs.JobView
			r.decode(t, &v)
			ids[i] = v.ID
		}()
	}
	wg.Wait()
	var sum ledger.Micros
	for _, id := range ids {
		v := e.waitSettled(id)
		if v.Status != "COMPLETED" {
			t.Fatalf("job %s = %+v", id, v)
		}
	}
	rows := e.allJobs()
	for _, j := range rows {
		sum += j.Cost
	}
	if len(rows) != len(ids) {
		t.Fatalf("%d rows for %d jobs", len(rows), len(ids))
	}
	var u jobs.UsageView
	e.do("GET", "/api/usage", nil).decode(t, &u)
	if u.Total.CloudJobs != len(ids) || u.Total.CostUSD != sum.USD() {
		t.Fatalf("usage total = %+v, ledger sum %v", u.Total, sum)
	}
}

// TestCancelWhileSubmitting cancels a job whose POST /run is still in
// flight (its id is learnt from a concurrent replay of the same request):
// the cancel is sent as soon as RunPod gives the job an id.
func TestCancelWhileSubmitting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{emu: emulator.Config{ExecutionTime: 2 * time.Second, Workers: 1},
		target: func(tg *targets.Target) { tg.ExecutionTimeoutSeconds = 30 }})
	if err := e.emu.InjectFaults(emulator.Fault{Route: "run", Kind: emulator.FaultDelay, DelayMS: 400}); err != nil {
		t.Fatal(err)
	}
	first := make(chan response, 1)
	go func() { first <- e.do("POST", "/api/images", imageBody("slow", nil)) }()
	var pending jobs.JobView
	deadline := time.Now().Add(3 * time.Second)
	for pending.Status != "SUBMITTING" {
		if time.Now().After(deadline) {
			t.Fatal("never saw the job SUBMITTING")
		}
		time.Sleep(20 * time.Millisecond)
		r := e.do("POST", "/api/images", imageBody("slow", nil))
		if r.code == http.StatusOK {
			r.decode(t, &pending)
		}
	}
	if c := e.do("POST", "/api/images/"+pending.ID+"/cancel", nil); c.code != http.StatusAccepted {
		t.Fatalf("cancel = %d %s", c.code, c.body)
	}
	if r := <-first; r.code != http.StatusAccepted {
		t.Fatalf("first POST = %d %s", r.code, r.body)
	}
	done := e.waitSettled(pending.ID)
	cancels := e.emu.Requests().Cancels
	if done.Status != "CANCELLED" || len(cancels) != 1 || cancels[0].JobID != e.allJobs()[0].RemoteID {
		t.Fatalf("job %+v, emulator cancels %+v", done, cancels)
	}
}
