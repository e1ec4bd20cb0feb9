package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/api"
	"hybridgen/internal/emulator"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
)

// TestRefusalsHappenBeforeRunPod checks that budgets, the rate limit,
// tokens, cross-origin requests, preflights and non-JSON bodies are refused
// without a single request reaching the emulator.
func TestRefusalsHappenBeforeRunPod(t *testing.T) {
	t.Parallel()
	t.Run("budget", func(t *testing.T) {
		// The estimate of a 512x512 25-step image is 6 s × 0.25 = 1.5 s
		// at 0.00076 USD/s = 0.00114 USD: over a 0.001 USD cap.
		for _, b := range []jobs.Budgets{{ClientDailyUSD: 0.001}, {ClientMonthlyUSD: 0.001}, {GlobalDailyUSD: 0.001}, {GlobalMonthlyUSD: 0.001}} {
			e := newEnv(t, envOptions{budgets: b})
			r := e.do("POST", "/api/images", imageBody("k", nil))
			var body api.ErrorBody
			r.decode(t, &body)
			if r.code != http.StatusPaymentRequired || body.Error.Code != api.CodeBudgetExceeded || !strings.Contains(body.Error.Message, "budget") {
				t.Fatalf("%+v: %d %s", b, r.code, r.body)
			}
			if n := e.emu.Requests().Counts["run"]; n != 0 || len(e.allJobs()) != 0 {
				t.Fatalf("%+v: refused job reached RunPod (%d) or the ledger (%d)", b, n, len(e.allJobs()))
			}
		}
	})
	t.Run("budget counts in-flight jobs", func(t *testing.T) {
		// Room for one estimate (0.00114) but not two; the first job is still
		// running when the second arrives.
		e := newEnv(t, envOptions{budgets: jobs.Budgets{ClientDailyUSD: 0.002},
			emu:    emulator.Config{ExecutionTime: time.Second, Workers: 1},
			access: api.Access{Tokens: []api.Token{{Name: "bob", Secret: "tok-bob"}}}})
		if r := e.do("POST", "/api/images", imageBody("k1", nil)); r.code != http.StatusAccepted {
			t.Fatalf("first = %d %s", r.code, r.body)
		}
		r := e.do("POST", "/api/images", imageBody("k2", nil))
		if r.code != http.StatusPaymentRequired {
			t.Fatalf("second = %d %s", r.code, r.body)
		}
		// Another client_id is only a label: the same identity, the same cap.
		rotated := e.do("POST", "/api/images", imageBody("k3", map[string]any{"client_id": "client-2"}))
		if rotated.code != http.StatusPaymentRequired {
			t.Fatalf("rotated client_id = %d %s", rotated.code, rotated.body)
		}
		// Another identity (a token's name) has its own cap.
		other := e.do("POST", "/api/images", imageBody("k2", nil), "Authorization", "Bearer tok-bob")
		if other.code != http.StatusAccepted {
			t.Fatalf("other identity = %d %s", other.code, other.body)
		}
		if n := e.emu.Requests().Counts["run"]; n != 2 {
			t.Fatalf("run calls = %d, want 2", n)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		e := newEnv(t, envOptions{rate: jobs.RateLimit{PerMinute: 6, Burst: 2}})
		for i := range 2 {
			if r := e.do("POST", "/api/images", imageBody("k"+strconv.Itoa(i), nil)); r.code != http.StatusAccepted {
				t.Fatalf("request %d = %d %s", i, r.code, r.body)
			}
		}
		r := e.do("POST", "/api/images", imageBody("k3", nil))
		var body api.ErrorBody
		r.decode(t, &body)
		secs, _ := strconv.Atoi(r.header.Get("Retry-After"))
		if r.code != http.StatusTooManyRequests || body.Error.Code != api.CodeRateLimited || secs < 1 || secs > 10 || body.Error.RetryAfterSeconds != secs {
			t.Fatalf("third = %d %s Retry-After %q", r.code, r.body, r.header.Get("Retry-After"))
		}
		// A replay of an accepted request is not a new render: not limited.
		if again := e.do("POST", "/api/images", imageBody("k0", nil)); again.code != http.StatusOK {
			t.Fatalf("replay = %d %s", again.code, again.body)
		}
		if n := e.emu.Requests().Counts["run"]; n != 2 {
			t.Fatalf("run calls = %d, want 2", n)
		}
	})
	t.Run("tokens", func(t *testing.T) {
		e := newEnv(t, envOptions{access: api.Access{RequireToken: true, Tokens: []api.Token{{Name: "alice", Secret: "tok-1"}, {Name: "bob", Secret: "tok-2"}}}})
		for _, h := range []string{"", "Bearer nope", "Basic dG9rLTE=", "Bearer tok-1x", "Bearer "} {
			var headers []string
			if h != "" {
				headers = []string{"Authorization", h}
			}
			r := e.do("POST", "/api/images", imageBody("k", nil), headers...)
			if r.code != http.StatusUnauthorized || !strings.Contains(string(r.body), api.CodeUnauthorized) {
				t.Fatalf("Authorization %q: %d %s", h, r.code, r.body)
			}
			for _, route := range []struct{ method, path string }{
				{"POST", "/api/images/x/cancel"}, {"GET", "/api/images/x"}, {"GET", "/api/usage"}, {"POST", "/api/drafts"},
			} {
				if c := e.do(route.method, route.path, nil, headers...); c.code != http.StatusUnauthorized {
					t.Fatalf("%s %s with %q: %d", route.method, route.path, h, c.code)
				}
			}
		}
		if n := e.emu.Requests().Counts["run"]; n != 0 {
			t.Fatalf("run calls = %d before a valid token", n)
		}
		r := e.do("POST", "/api/images", imageBody("k", nil), "Authorization", "Bearer tok-2")
		if r.code != http.StatusAccepted {
			t.Fatalf("valid token = %d %s", r.code, r.body)
		}
		var v jobs.JobView
		r.decode(t, &v)
		if g := e.do("GET", "/api/images/"+v.ID, nil, "Authorization", "bearer tok-1"); g.code != http.StatusOK {
			t.Fatalf("GET with token = %d", g.code)
		}
		var cfg api.ConfigView
		e.do("GET", "/api/config", nil).decode(t, &cfg)
		if !cfg.Auth.TokenRequired {
			t.Fatal("config does not say a token is required")
		}
	})
	t.Run("cross origin and media type", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		checks := []struct {
			name    string
			method  string
			headers []string
			want    int
		}{
			{"foreign origin", "POST", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
			{"null origin", "POST", []string{"Origin", "null"}, http.StatusForbidden},
			{"cross-site fetch", "POST", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
			{"browser write without Origin", "POST", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusForbidden},
			{"rebinding page's own origin", "POST", []string{"Origin", "http://evil.example:8080"}, http.StatusForbidden},
			{"text/plain form post", "POST", []string{"Content-Type", "text/plain"}, http.StatusUnsupportedMediaType},
			{"preflight", "OPTIONS", []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"}, http.StatusForbidden},
		}
		for _, c := range checks {
			var body any = imageBody("k", nil)
			if c.method == "OPTIONS" {
				body = nil
			}
			r := e.do(c.method, "/api/images", body, c.headers...)
			if r.code != c.want || r.header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s: %d (ACAO %q) %s", c.name, r.code, r.header.Get("Access-Control-Allow-Origin"), r.body)
			}
		}
		// Same origin (the Origin the browser sends for our own page) passes.
		if r := e.do("POST", "/api/images", imageBody("k", nil), "Origin", e.srv.URL, "Sec-Fetch-Site", "same-origin"); r.code != http.StatusAccepted {
			t.Fatalf("same origin = %d %s", r.code, r.body)
		}
		if n := e.emu.Requests().Counts["run"]; n != 1 {
			t.Fatalf("run calls = %d, want 1", n)
		}
	})
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true, "127.1.2.3:1": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:80": false, "192.168.1.5:8080": false, "example.com:80": false,
	} {
		if got := api.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestConfigWithoutCloudTarget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noTarget: true})
	r := e.do("GET", "/api/config", nil)
	var cfg api.ConfigView
	r.decode(t, &cfg)
	if r.code != 200 || cfg.Cloud.Configured || cfg.Cloud.Message == "" || len(cfg.Targets) != 0 || cfg.Limits.MaxSteps != jobs.MaxSteps {
		t.Fatalf("config = %d %s", r.code, r.body)
	}
	if !strings.Contains(string(r.body), `"cloud":{"configured":false`) {
		t.Fatalf("config body = %s", r.body)
	}
	img := e.do("POST", "/api/images", imageBody("k", nil))
	if img.code != http.StatusServiceUnavailable || !strings.Contains(string(img.body), api.CodeCloudUnavailable) {
		t.Fatalf("render without target = %d %s", img.code, img.body)
	}
	d := e.do("POST", "/api/drafts", `{"client_id":"c","idempotency_key":"d1"}`)
	var v jobs.JobView
	d.decode(t, &v)
	if d.code != http.StatusCreated || v.Kind != "local" || v.CostUSD != 0 || v.AvoidedCostUSD != 0 {
		t.Fatalf("draft without target = %d %s", d.code, d.body)
	}
}

func TestConfigListsTargetsWithoutSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	r := e.do("GET", "/api/config", nil)
	var cfg api.ConfigView
	r.decode(t, &cfg)
	tg, ok := cfg.Targets["emu"]
	if !cfg.Cloud.Configured || cfg.Cloud.DefaultTarget != "emu" || !ok || tg.PricePerSecondUSD != testPrice || tg.Model != "sdxl-test" {
		t.Fatalf("config = %s", r.body)
	}
	for _, hidden := range []string{e.emuSrv.URL, "TEST_RUNPOD_KEY", e.emu.EndpointID()} {
		if strings.Contains(string(r.body), hidden) {
			t.Fatalf("config reveals %q: %s", hidden, r.body)
		}
	}
}

func TestDraftsAndUsageSavings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for i, key := range []string{"d1", "d2", "d1"} {
		r := e.do("POST", "/api/drafts", `{"client_id":"c","idempotency_key":"`+key+`","width":512,"height":512,"steps":1,"model":"sd-turbo"}`)
		want := http.StatusCreated
		if i == 2 {
			want = http.StatusOK // replay
		}
		if r.code != want {
			t.Fatalf("draft %d = %d %s", i, r.code, r.body)
		}
	}
	r := e.do("POST", "/api/images", imageBody("k", nil))
	var v jobs.JobView
	r.decode(t, &v)
	final := e.waitSettled(v.ID)

	var u jobs.UsageView
	if r := e.do("GET", "/api/usage?days=7", nil); r.code != 200 {
		t.Fatalf("usage = %d %s", r.code, r.body)
	} else {
		r.decode(t, &u)
	}
	// A 512x512 draft avoids 6 s × 0.25 × (25/25) at 0.00076 USD/s = 0.00114 USD.
	avoided := ledger.CostOf(testPrice, 1500*time.Millisecond)
	tot := u.Total
	if tot.LocalDrafts != 2 || tot.CloudJobs != 1 || tot.AvoidedUSD != (2*avoided).USD() || tot.CostUSD != final.CostUSD {
		t.Fatalf("usage total = %+v", tot)
	}
	// The ledger sums Micros; the view's floats are those sums divided by 1e6, so compare in Micros
	// (adding the floats here can be off in the last bit, e.g. 3.8e-05 + 0.00228).
	micros := ledger.FromUSD
	if micros(tot.AllCloudUSD) != micros(tot.CostUSD)+micros(tot.AvoidedUSD) || tot.SavingsRatio <= 0 || tot.SavingsRatio >= 1 {
		t.Fatalf("savings = %+v", tot)
	}
	keys := map[string]bool{}
	for _, row := range u.ByTarget {
		keys[row.Key] = true
	}
	if !keys["emu"] || !keys["local"] || len(u.ByDay) != 1 || u.ByDay[0].Key != time.Now().UTC().Format("2006-01-02") {
		t.Fatalf("by target %+v, by day %+v", u.ByTarget, u.ByDay)
	}
}

// TestReconcileAfterRestart abandons a running job (as a crash would),
// starts a new API on the same ledger file and checks reconciliation: the
// running job is followed to its end, a job RunPod no longer knows is
// settled at its estimate (marked estimated, never at 0), and a job the
// server was still submitting is UNCONFIRMED, counted at its worst case.
func TestReconcileAfterRestart(t *testing.T) {
	t.Parallel()
	first := newEnv(t, envOptions{emu: emulator.Config{ExecutionTime: 600 * time.Millisecond, Workers: 1}})
	r := first.do("POST", "/api/images", imageBody("k", nil))
	var v jobs.JobView
	r.decode(t, &v)
	first.jobs.Close(0) // stop following without cancelling on RunPod
	ctx := context.Background()
	for _, n := range []ledger.NewJob{
		{ID: "img_unknown", Identity: jobs.LocalIdentity, ClientID: "c", Target: "emu", Kind: ledger.KindCloud, EstimatedCost: 100, WorstCaseCost: 900},
		{ID: "img_orphan", Identity: jobs.LocalIdentity, ClientID: "c", Target: "emu", Kind: ledger.KindCloud, EstimatedCost: 100, WorstCaseCost: 900},
	} {
		if _, _, err := first.ledger.CreateOrGet(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.ledger.MarkSubmitted(ctx, "img_unknown", "no-such-remote-job", ledger.StatusInProgress); err != nil {
		t.Fatal(err)
	}

	// The second API reuses the first's emulator and ledger file.
	second := newEnvSharing(t, first)
	rep, err := second.jobs.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Following != 2 || rep.Unconfirmed != 1 {
		t.Fatalf("report = %+v", rep)
	}
	var orphan jobs.JobView
	second.do("GET", "/api/images/img_orphan", nil).decode(t, &orphan)
	if orphan.Status != "UNCONFIRMED" || orphan.Settled || !orphan.Reconciling || !strings.Contains(orphan.Error, "may have run") {
		t.Fatalf("orphan = %+v", orphan)
	}
	done := second.waitSettled(v.ID)
	if done.Status != "COMPLETED" || done.Image == "" || done.Reconciling {
		t.Fatalf("reconciled job = %+v", done)
	}
	unknown := second.waitSettled("img_unknown")
	if unknown.Status != "FAILED" || !unknown.Estimated || unknown.CostUSD != 0.0001 || strings.Contains(unknown.Error, "no-such") {
		t.Fatalf("job RunPod forgot = %+v", unknown)
	}
	for _, j := range second.allJobs() {
		if j.ID == v.ID && (j.Cost == 0 || j.Cost != ledger.CostOf(testPrice, j.Execution)) {
			t.Fatalf("followed job %+v", j)
		}
	}
	var u jobs.UsageView
	second.do("GET", "/api/usage", nil).decode(t, &u)
	if u.Total.Unconfirmed != 1 || u.Total.UnconfirmedCostUSD != 0.0009 || u.Total.EstimatedJobs != 1 {
		t.Fatalf("usage = %+v", u.Total)
	}
	if e := first.emu.Requests().JobsCreated; e != 1 {
		t.Fatalf("emulator created %d jobs", e)
	}
}

func TestEditsAreRecordedApartFromDrafts(t *testing.T) {
	e := newEnv(t, envOptions{})
	post := func(key, body string) (response, jobs.JobView) {
		r := e.do("POST", "/api/drafts", `{"client_id":"c","idempotency_key":"`+key+`",`+body+`}`)
		var v jobs.JobView
		if r.code < 300 {
			r.decode(t, &v)
		}
		return r, v
	}
	d, dv := post("d1", `"width":512,"height":512`)
	// An upscale to 1024x1024: one step of 6 s × 1 MP / 25 = 0.24 s, billed the 1 s minimum.
	u, uv := post("u1", `"width":1024,"height":1024,"model":"esrgan-slim","task":"upscale"`)
	// To 4096x4096 (past the drafts' 2048 limit): 6 s × 16 MP / 25 = 3.84 s.
	big, bv := post("u2", `"width":4096,"height":4096,"model":"esrgan-slim","task":"upscale"`)
	c, cv := post("r1", `"width":1000,"height":750,"model":"cutout","task":"remove-background"`)
	for _, r := range []response{d, u, big, c} {
		if r.code != http.StatusCreated {
			t.Fatalf("record = %d %s", r.code, r.body)
		}
	}
	if dv.Task != "generate" || uv.Task != "upscale" || cv.Task != "remove-background" || uv.Kind != "local" || uv.CostUSD != 0 {
		t.Fatalf("views: %+v %+v %+v", dv, uv, cv)
	}
	oneSecond := ledger.CostOf(testPrice, time.Second)
	if uv.AvoidedCostUSD != oneSecond.USD() || bv.AvoidedCostUSD != ledger.CostOf(testPrice, 3840*time.Millisecond).USD() {
		t.Fatalf("avoided: upscale %v, big upscale %v", uv.AvoidedCostUSD, bv.AvoidedCostUSD)
	}
	if r, _ := post("u1", `"width":1024,"height":1024,"model":"esrgan-slim","task":"upscale"`); r.code != http.StatusOK {
		t.Fatalf("replay = %d %s", r.code, r.body)
	}
	if r, _ := post("u1", `"width":1024,"height":1024,"model":"esrgan-slim","task":"remove-background"`); r.code != http.StatusConflict {
		t.Fatalf("same key, other task = %d %s", r.code, r.body)
	}
	var usage jobs.UsageView
	e.do("GET", "/api/usage?days=1", nil).decode(t, &usage)
	tot := usage.Total
	want := ledger.FromUSD(dv.AvoidedCostUSD) + ledger.FromUSD(uv.AvoidedCostUSD) + ledger.FromUSD(bv.AvoidedCostUSD) + ledger.FromUSD(cv.AvoidedCostUSD)
	if tot.LocalDrafts != 1 || tot.LocalUpscales != 2 || tot.LocalCutouts != 1 || ledger.FromUSD(tot.AvoidedUSD) != want || tot.CostUSD != 0 {
		t.Fatalf("usage total = %+v, want avoided %v", tot, want.USD())
	}
}
