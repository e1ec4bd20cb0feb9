package emulator_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"hybridgen/internal/emulator"
)

func decodeDataURI(t *testing.T, uri string) []byte {
	t.Helper()
	b64, ok := strings.CutPrefix(uri, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URI: %.40q", uri)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRunCompletesWithPNGAndTimes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, srv := startInBubble(t, emulator.Config{ExecutionTime: 40 * time.Millisecond})
		id := submit(t, srv, input("a red fox", map[string]any{"num_inference_steps": 50}))
		job := waitFinal(t, srv, id)
		if job["status"] != "COMPLETED" || job["id"] != id || job["workerId"] != "emu-worker-1" {
			t.Fatalf("job = %v", job)
		}
		// 50 steps is twice the 25-step ExecutionTime, to the millisecond
		// on the bubble's clock.
		if exec := job["executionTime"].(float64); exec != 80 {
			t.Errorf("executionTime = %v ms, want 80", exec)
		}
		if _, ok := job["delayTime"].(float64); !ok {
			t.Errorf("no delayTime in %v", job)
		}
		out := job["output"].(map[string]any)
		images := out["images"].([]any)
		if len(images) != 1 || out["image_url"] != images[0] || out["seed"].(float64) != 42 {
			t.Fatalf("output = %.200v", out)
		}
		img, err := png.Decode(bytes.NewReader(decodeDataURI(t, images[0].(string))))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
			t.Errorf("image is %v, want 256x256", b)
		}
	})
}

func TestImagesAreDeterministic(t *testing.T) {
	t.Parallel()
	_, srv := start(t, emulator.Config{Workers: 2})
	image := func(prompt string, seed int) string {
		job := waitFinal(t, srv, submit(t, srv, input(prompt, map[string]any{"seed": seed, "num_images": 2})))
		imgs := job["output"].(map[string]any)["images"].([]any)
		if len(imgs) != 2 || imgs[0] == imgs[1] {
			t.Fatalf("want two different images, got %d", len(imgs))
		}
		return imgs[0].(string)
	}
	a, b := image("a castle", 7), image("a castle", 7)
	if a != b {
		t.Error("same prompt and seed gave different PNGs")
	}
	if image("a castle", 8) == a || image("a moat", 7) == a {
		t.Error("a different seed or prompt gave the same PNG")
	}
}

func TestAuthAndEndpoint(t *testing.T) {
	t.Parallel()
	e, srv := start(t, emulator.Config{})
	for _, key := range []string{"", "wrong"} {
		if r := callWithKey(t, srv, "GET", api(srv)+"/health", nil, key); r.code != 401 {
			t.Errorf("key %q: status %d, want 401", key, r.code)
		}
	}
	if r := call(t, srv, "GET", emulator.BaseURL(srv.URL)+"/other/health", nil); r.code != 404 {
		t.Errorf("unknown endpoint: %d, want 404", r.code)
	}
	if got := e.Requests(); got.Unauthorized != 2 || got.Counts["health"] != 3 {
		t.Errorf("requests = %+v", got)
	}
}

func TestBadInputFailsTheJob(t *testing.T) {
	t.Parallel()
	_, srv := start(t, emulator.Config{})
	cases := map[string]map[string]any{
		"divisible by 8":     {"width": 1001},
		"Unexpected input":   {"steps": 3},
		"should be int type": {"num_inference_steps": "many"},
		"num_images":         {"num_images": 3},
		"strength":           {"strength": 1.5},
		"'FOO'":              {"scheduler": "FOO"},
		"base64 data URI":    {"image_url": "file:///etc/passwd"},
	}
	for want, extra := range cases {
		job := waitFinal(t, srv, submit(t, srv, input("x", extra)))
		if job["status"] != "FAILED" || !strings.Contains(job["error"].(string), want) {
			t.Errorf("%v: job = %.300v, want FAILED mentioning %q", extra, job, want)
		}
		if job["output"] != nil {
			t.Errorf("%v: failed job has output", extra)
		}
	}
	for _, body := range []any{map[string]any{}, map[string]any{"input": "text"}, []int{1}} {
		if r := call(t, srv, "POST", api(srv)+"/run", body); r.code != 400 {
			t.Errorf("body %v: %d, want 400", body, r.code)
		}
	}
}

func TestImg2ImgAcceptsDataURI(t *testing.T) {
	t.Parallel()
	_, srv := start(t, emulator.Config{})
	pngURI := "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("\x89PNG fake"))
	job := waitFinal(t, srv, submit(t, srv, input("x", map[string]any{"image_url": pngURI, "strength": 0.5})))
	if job["status"] != "COMPLETED" {
		t.Fatalf("job = %v", job)
	}
}

func TestColdStartPaidOnceAndCountedInDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, srv := startInBubble(t, emulator.Config{ColdStart: 150 * time.Millisecond})
		first := waitFinal(t, srv, submit(t, srv, input("x", nil)))
		second := waitFinal(t, srv, submit(t, srv, input("y", nil)))
		if d := first["delayTime"].(float64); d != 150 {
			t.Errorf("first delayTime = %v ms, want 150 (cold start)", d)
		}
		if d := second["delayTime"].(float64); d != 0 {
			t.Errorf("second delayTime = %v ms, want a warm start", d)
		}
	})
}

func TestCancelQueuedAndRunningJobs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e, srv := startInBubble(t, emulator.Config{ExecutionTime: 10 * time.Second})
		running := submit(t, srv, input("a", nil))
		waitStatus(t, srv, running, "IN_PROGRESS")
		queued := submit(t, srv, input("b", nil))

		h := call(t, srv, "GET", api(srv)+"/health", nil).body
		if jobs := h["jobs"].(map[string]any); jobs["inProgress"] != 1.0 || jobs["inQueue"] != 1.0 {
			t.Errorf("health before cancel = %v", h)
		}
		if w := h["workers"].(map[string]any); w["running"] != 1.0 || w["idle"] != 0.0 {
			t.Errorf("workers = %v", w)
		}
		for _, id := range []string{queued, running} {
			if r := call(t, srv, "POST", api(srv)+"/cancel/"+id, nil); r.code != 200 || r.body["status"] != "CANCELLED" {
				t.Fatalf("cancel %s: %d %v", id, r.code, r.body)
			}
		}
		job := call(t, srv, "GET", api(srv)+"/status/"+running, nil).body
		if job["status"] != "CANCELLED" || job["executionTime"] == nil {
			t.Errorf("cancelled running job = %v, want CANCELLED with its executionTime", job)
		}
		if r := call(t, srv, "POST", api(srv)+"/cancel/"+running, nil); r.body["status"] != "CANCELLED" {
			t.Errorf("second cancel = %v", r.body)
		}
		cancels := e.Requests().Cancels
		if len(cancels) != 3 || cancels[0] != (emulator.CancelCall{JobID: queued, StatusBefore: "IN_QUEUE", StatusAfter: "CANCELLED"}) ||
			cancels[1].StatusBefore != "IN_PROGRESS" || cancels[2].StatusBefore != "CANCELLED" {
			t.Errorf("cancels = %+v", cancels)
		}
		h = call(t, srv, "GET", api(srv)+"/health", nil).body
		if jobs := h["jobs"].(map[string]any); jobs["inProgress"] != 0.0 || jobs["inQueue"] != 0.0 {
			t.Errorf("health after cancel = %v", h)
		}
		if r := call(t, srv, "POST", api(srv)+"/cancel/nope", nil); r.code != 404 {
			t.Errorf("cancel unknown: %d", r.code)
		}
	})
}

func TestExecutionTimeoutAndRetry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, srv := startInBubble(t, emulator.Config{ExecutionTime: 300 * time.Millisecond})
		body := input("x", nil)
		body["policy"] = map[string]any{"executionTimeout": 30}
		id := submit(t, srv, body)
		job := waitFinal(t, srv, id)
		if job["status"] != "TIMED_OUT" || job["executionTime"].(float64) < 30 {
			t.Fatalf("job = %v", job)
		}
		if r := call(t, srv, "POST", api(srv)+"/retry/"+id, nil); r.code != 200 || r.body["status"] != "IN_QUEUE" {
			t.Fatalf("retry: %d %v", r.code, r.body)
		}
		if job := waitFinal(t, srv, id); job["status"] != "TIMED_OUT" {
			t.Errorf("retried job = %v (same policy, so it times out again)", job)
		}
		h := call(t, srv, "GET", api(srv)+"/health", nil).body["jobs"].(map[string]any)
		if h["failed"] != 2.0 || h["retried"] != 1.0 || h["completed"] != 0.0 {
			t.Errorf("health jobs = %v", h)
		}
		done := submit(t, srv, input("y", map[string]any{"num_inference_steps": 1}))
		waitFinal(t, srv, done)
		if r := call(t, srv, "POST", api(srv)+"/retry/"+done, nil); r.code != 400 {
			t.Errorf("retry of a COMPLETED job: %d, want 400", r.code)
		}
	})
}

func TestTTLForgetsRunningJob(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, srv := startInBubble(t, emulator.Config{ExecutionTime: 5 * time.Second})
		body := input("x", nil)
		body["policy"] = map[string]any{"ttl": 80}
		id := submit(t, srv, body)
		waitStatus(t, srv, id, "IN_PROGRESS")
		deadline := time.Now().Add(5 * time.Second)
		for {
			r := call(t, srv, "GET", api(srv)+"/status/"+id, nil)
			if r.code == 404 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job still answers after its ttl: %v", r.body)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// The worker is free again.
		if job := waitFinal(t, srv, submit(t, srv, input("y", map[string]any{"num_inference_steps": 1}))); job["status"] != "COMPLETED" {
			t.Errorf("next job = %v", job)
		}
	})
}

func TestPurgeQueueAndLowPriority(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, srv := startInBubble(t, emulator.Config{ExecutionTime: 10 * time.Second})
		running := submit(t, srv, input("a", nil))
		waitStatus(t, srv, running, "IN_PROGRESS")
		low := input("b", nil)
		low["policy"] = map[string]any{"lowPriority": true}
		queued := []string{submit(t, srv, low), submit(t, srv, input("c", nil))}
		r := call(t, srv, "POST", api(srv)+"/purge-queue", nil)
		if r.code != 200 || r.body["removed"] != 2.0 {
			t.Fatalf("purge: %d %v", r.code, r.body)
		}
		for _, id := range queued {
			if r := call(t, srv, "GET", api(srv)+"/status/"+id, nil); r.code != 404 {
				t.Errorf("purged job %s: %d", id, r.code)
			}
		}
		if r := call(t, srv, "GET", api(srv)+"/status/"+running, nil); r.body["status"] != "IN_PROGRESS" {
			t.Errorf("running job after purge = %v", r.body)
		}
	})
}

func TestRunSyncWaits(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, srv := startInBubble(t, emulator.Config{ExecutionTime: 400 * time.Millisecond})
		r := call(t, srv, "POST", api(srv)+"/runsync?wait=20", input("slow", nil))
		if r.code != 200 || (r.body["status"] != "IN_QUEUE" && r.body["status"] != "IN_PROGRESS") || r.body["output"] != nil {
			t.Fatalf("short wait: %d %v", r.code, r.body)
		}
		r = call(t, srv, "POST", api(srv)+"/runsync?wait=5000", input("fast", map[string]any{"num_inference_steps": 1}))
		if r.body["status"] != "COMPLETED" || r.body["output"] == nil {
			t.Fatalf("long wait: %.300v", r.body)
		}
		if r := call(t, srv, "POST", api(srv)+"/runsync?wait=soon", input("x", nil)); r.code != 400 {
			t.Errorf("bad wait: %d", r.code)
		}
	})
}

func TestWebhookGetsTheFinalJob(t *testing.T) {
	t.Parallel()
	got := make(chan map[string]any, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		got <- body
	}))
	defer hook.Close()
	e, srv := start(t, emulator.Config{})
	body := input("x", nil)
	body["webhook"] = hook.URL
	id := submit(t, srv, body)
	select {
	case job := <-got:
		if job["id"] != id || job["status"] != "COMPLETED" || job["output"] == nil {
			t.Errorf("webhook body = %.200v", job)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook delivery")
	}
	if n := e.Requests().Webhooks; n != 1 {
		t.Errorf("webhooks = %d", n)
	}
}
