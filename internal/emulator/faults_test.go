package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/emulator"
)

// postFaults injects faults through the control API, as an out-of-process
// test would.
func postFaults(t *testing.T, baseURL, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(baseURL+"/_emulator/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func requestLog(t *testing.T, baseURL string) emulator.RequestLog {
	t.Helper()
	resp, err := http.Get(baseURL + "/_emulator/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l emulator.RequestLog
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestControlAPIFaultsFireInOrderThenStop(t *testing.T) {
	t.Parallel()
	_, srv := start(t, emulator.Config{})
	resp := postFaults(t, srv.URL, `[{"route":"run","kind":"http_429","count":2,"retry_after":3},
		{"route":"status","kind":"http_500","count":1},{"kind":"job_failed","message":"boom"}]`)
	if resp.StatusCode != 200 {
		t.Fatalf("inject: %d", resp.StatusCode)
	}
	for i := 0; i < 2; i++ {
		r := call(t, srv, "POST", api(srv)+"/run", input("x", nil))
		if r.code != 429 || r.header.Get("Retry-After") != "3" {
			t.Fatalf("run %d: %d, Retry-After %q", i, r.code, r.header.Get("Retry-After"))
		}
	}
	id := submit(t, srv, input("x", nil))
	if r := call(t, srv, "GET", api(srv)+"/status/"+id, nil); r.code != 500 {
		t.Fatalf("status: %d, want the injected 500", r.code)
	}
	job := waitFinal(t, srv, id)
	if job["status"] != "FAILED" || job["error"] != "boom" {
		t.Fatalf("job = %.300v", job)
	}
	if job := waitFinal(t, srv, submit(t, srv, input("y", nil))); job["status"] != "COMPLETED" {
		t.Errorf("job after the faults = %.300v", job)
	}
	l := requestLog(t, srv.URL)
	if l.Counts["run"] != 4 || l.JobsCreated != 2 {
		t.Errorf("log = %+v, want 4 run requests and 2 jobs", l)
	}
	resp, err := http.Get(srv.URL + "/_emulator/faults")
	if err != nil {
		t.Fatal(err)
	}
	var pending []emulator.Fault
	_ = json.NewDecoder(resp.Body).Decode(&pending)
	resp.Body.Close()
	if len(pending) != 0 {
		t.Errorf("pending faults = %+v", pending)
	}
}

func TestInvalidFaultsAreRefused(t *testing.T) {
	t.Parallel()
	e, srv := start(t, emulator.Config{})
	for _, body := range []string{`[{"kind":"explode"}]`, `[{"route":"nowhere","kind":"drop"}]`,
		`[{"route":"status","kind":"job_failed"}]`, `[{"kind":"http_200"}]`, `nonsense`} {
		if resp := postFaults(t, srv.URL, body); resp.StatusCode != 400 {
			t.Errorf("%s: %d, want 400", body, resp.StatusCode)
		}
	}
	if len(e.PendingFaults()) != 0 {
		t.Error("an invalid batch left faults behind")
	}
}

func TestDropClosesTheConnection(t *testing.T) {
	t.Parallel()
	e, srv := start(t, emulator.Config{})
	if err := e.InjectFaults(emulator.Fault{Route: "run", Kind: emulator.FaultDrop},
		emulator.Fault{Route: "run", Kind: emulator.FaultDropAfter}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest("POST", api(srv)+"/run", bytes.NewReader([]byte(`{"input":{"prompt":"x"}}`)))
		req.Header.Set("Authorization", "Bearer "+testKey)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("request %d got an answer (%d), want a dropped connection", i, resp.StatusCode)
		}
	}
	// drop created nothing; drop_after created the job before dropping.
	if l := e.Requests(); l.JobsCreated != 1 || l.Counts["run"] != 2 {
		t.Errorf("log = %+v", l)
	}
}

func TestDelayAndAlwaysFaults(t *testing.T) {
	t.Parallel()
	e, srv := start(t, emulator.Config{})
	_ = e.InjectFaults(emulator.Fault{Route: "health", Kind: emulator.HTTPFault(503), Count: -1})
	for i := 0; i < 3; i++ {
		if r := call(t, srv, "GET", api(srv)+"/health", nil); r.code != 503 {
			t.Fatalf("health %d: %d", i, r.code)
		}
	}
	e.ClearFaults()
	_ = e.InjectFaults(emulator.Fault{Kind: emulator.FaultDelay, DelayMS: 60})
	start := time.Now()
	if r := call(t, srv, "GET", api(srv)+"/health", nil); r.code != 200 {
		t.Fatalf("health after clear: %d", r.code)
	}
	if time.Since(start) < 60*time.Millisecond {
		t.Error("delay fault did not delay")
	}
}

func TestResetForgetsEverything(t *testing.T) {
	t.Parallel()
	e, srv := start(t, emulator.Config{ExecutionTime: 5 * time.Second})
	id := submit(t, srv, input("x", nil))
	_ = e.InjectFaults(emulator.Fault{Kind: emulator.FaultDrop})
	resp, err := http.Post(srv.URL+"/_emulator/reset", "application/json", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("reset: %v %v", resp, err)
	}
	resp.Body.Close()
	if r := call(t, srv, "GET", api(srv)+"/status/"+id, nil); r.code != 404 {
		t.Errorf("job after reset: %d", r.code)
	}
	if l := e.Requests(); l.Counts["status"] != 1 || l.Counts["run"] != 0 || len(e.PendingFaults()) != 0 {
		t.Errorf("log after reset = %+v", l)
	}
}

// TestAmbiguousFaultsCreateTheJob: error_after answers 500 and delay_after
// answers late, but both have created the job (and billed its run) like a
// RunPod that accepted it.
func TestAmbiguousFaultsCreateTheJob(t *testing.T) {
	t.Parallel()
	emu, srv := start(t, emulator.Config{ExecutionTime: 20 * time.Millisecond})
	if err := emu.InjectFaults(emulator.Fault{Route: "run", Kind: emulator.FaultErrorAfter},
		emulator.Fault{Route: "run", Kind: emulator.FaultDelayAfter, DelayMS: 300}); err != nil {
		t.Fatal(err)
	}
	if r := call(t, srv, "POST", api(srv)+"/run", input("x", nil)); r.code != 500 {
		t.Fatalf("error_after: %d", r.code)
	}
	start := time.Now()
	r := call(t, srv, "POST", api(srv)+"/run", input("y", nil))
	if r.code != 200 || time.Since(start) < 300*time.Millisecond || r.body["id"] == nil {
		t.Fatalf("delay_after: %d %s after %s", r.code, r.body, time.Since(start))
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(emu.Requests().ExecutionMS) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if l := emu.Requests(); l.JobsCreated != 2 || len(l.ExecutionMS) != 2 {
		t.Fatalf("log = %+v", l)
	}
}
