package api_test

import (
	"net/http"
	"testing"
	"time"

	"hybridgen/internal/api"
	"hybridgen/internal/jobs"
)

// TestDraftMadeOfflineKeepsItsTime: a draft the browser made days ago and
// reports now (it waited in its offline queue) lands on the day it was made.
func TestDraftMadeOfflineKeepsItsTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	madeAt := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Millisecond)
	r := e.do("POST", "/api/drafts", map[string]any{
		"client_id": "c", "idempotency_key": "offline-1", "width": 512, "height": 512, "steps": 1,
		"model": "sd-turbo", "made_at": madeAt.Format(time.RFC3339Nano),
	})
	var v jobs.JobView
	r.decode(t, &v)
	if r.code != http.StatusCreated || !v.CreatedAt.Equal(madeAt) {
		t.Fatalf("draft = %d %s, want 201 created at %s", r.code, r.body, madeAt)
	}
	now := e.do("POST", "/api/drafts", `{"client_id":"c","idempotency_key":"online-1"}`)
	var nv jobs.JobView
	now.decode(t, &nv)
	if now.code != http.StatusCreated || time.Since(nv.CreatedAt) > time.Minute {
		t.Fatalf("draft without made_at = %d %s, want created now", now.code, now.body)
	}

	var u jobs.UsageView
	e.do("GET", "/api/usage?days=7", nil).decode(t, &u)
	days := map[string]int{}
	for _, d := range u.ByDay {
		days[d.Key] = d.LocalDrafts
	}
	if day := madeAt.Format(time.DateOnly); days[day] != 1 {
		t.Fatalf("usage by day = %+v, want one local draft on %s", u.ByDay, day)
	}
	if today := time.Now().UTC().Format(time.DateOnly); days[today] != 1 {
		t.Fatalf("usage by day = %+v, want one local draft today (%s)", u.ByDay, today)
	}
}

// TestDraftMadeAtOutOfBounds: a made_at in the future (past the clock skew
// allowed), older than the queue may hold, or not a time is a typed 400 on
// the made_at field, and nothing is recorded.
func TestDraftMadeAtOutOfBounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for name, madeAt := range map[string]string{
		"future":   time.Now().Add(jobs.MaxClockSkew + time.Minute).Format(time.RFC3339Nano),
		"too-old":  time.Now().Add(-jobs.MaxDraftAge - time.Hour).Format(time.RFC3339Nano),
		"not-time": "yesterday",
		"no-zone":  "2026-12-01T10:00:00",
	} {
		r := e.do("POST", "/api/drafts", map[string]any{"client_id": "c", "idempotency_key": "k-" + name, "made_at": madeAt})
		var body api.ErrorBody
		r.decode(t, &body)
		if r.code != http.StatusBadRequest || body.Error.Code != api.CodeInvalidRequest ||
			len(body.Error.Fields) != 1 || body.Error.Fields[0].Field != "made_at" {
			t.Errorf("%s: made_at %q = %d %s, want 400 invalid_request naming made_at", name, madeAt, r.code, r.body)
		}
	}
	if jobs := e.allJobs(); len(jobs) != 0 {
		t.Fatalf("refused drafts were recorded: %+v", jobs)
	}
	edge := time.Now().Add(jobs.MaxClockSkew - time.Minute).Format(time.RFC3339Nano)
	if r := e.do("POST", "/api/drafts", map[string]any{"client_id": "c", "idempotency_key": "skew", "made_at": edge}); r.code != http.StatusCreated {
		t.Fatalf("made_at within the clock skew = %d %s, want 201", r.code, r.body)
	}
}

// TestEditMadeOfflineKeepsItsTimeAndTask: an upscale reported late is dated
// by its made_at like a draft, keeps its task and counts as an upscale on
// the day it was made; one made_at out of bounds is refused for an edit too.
func TestEditMadeOfflineKeepsItsTimeAndTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	madeAt := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Millisecond)
	edit := func(key string, madeAt time.Time) response {
		return e.do("POST", "/api/drafts", map[string]any{
			"client_id": "c", "idempotency_key": key, "width": 4096, "height": 4096,
			"model": "esrgan-slim", "task": "upscale", "made_at": madeAt.Format(time.RFC3339Nano),
		})
	}
	r := edit("up-1", madeAt)
	var v jobs.JobView
	r.decode(t, &v)
	if r.code != http.StatusCreated || !v.CreatedAt.Equal(madeAt) || v.Task != "upscale" || v.Width != 4096 {
		t.Fatalf("edit = %d %s, want 201 upscale 4096 wide created at %s", r.code, r.body, madeAt)
	}
	if r := edit("up-2", time.Now().Add(-jobs.MaxDraftAge-time.Hour)); r.code != http.StatusBadRequest {
		t.Fatalf("edit made too long ago = %d %s, want 400", r.code, r.body)
	}
	var u jobs.UsageView
	e.do("GET", "/api/usage?days=7", nil).decode(t, &u)
	for _, d := range u.ByDay {
		if d.Key == madeAt.Format(time.DateOnly) && d.LocalUpscales == 1 && d.LocalDrafts == 0 {
			return
		}
	}
	t.Fatalf("usage by day = %+v, want one upscale on %s", u.ByDay, madeAt.Format(time.DateOnly))
}
