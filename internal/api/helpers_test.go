package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/api"
	"hybridgen/internal/assets"
	"hybridgen/internal/emulator"
	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
	"hybridgen/internal/runpod"
	"hybridgen/internal/targets"
	"hybridgen/internal/testutil"
)

// testKey is the RunPod key of every test; no response or log may hold it.
const testKey = "rpa_TESTKEY_0123456789abcdef"

const testPrice = 0.00076 // USD per second, an A100

// recordResponses tees what next writes into c.
func recordResponses(c *testutil.SyncBuffer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
			for _, v := range vs {
				c.Write([]byte(k + ": " + v + "\n"))
			}
		}
		w.WriteHeader(rec.Code)
		c.Write(rec.Body.Bytes())
		w.Write(rec.Body.Bytes())
	})
}

// AssertNoSecret fails t when haystack contains secret.
func assertNoSecret(t *testing.T, what, haystack, secret string) {
	t.Helper()
	if strings.Contains(haystack, secret) {
		t.Errorf("the API key appears in %s", what)
	}
}

type env struct {
	t      *testing.T
	emu    *emulator.Emulator
	emuSrv *httptest.Server
	ledger *ledger.Ledger
	api    *api.API
	jobs   *jobs.Manager
	srv    *httptest.Server
	logs   *testutil.SyncBuffer // every response body and header and every log line, for the key scan
	dbPath string
	// assetsDir holds the API's image assets.
	assetsDir string
}

type envOptions struct {
	emu      emulator.Config
	noTarget bool
	budgets  jobs.Budgets
	rate     jobs.RateLimit
	access   api.Access
	target   func(*targets.Target)
	dbPath   string
	share    *env // reuse this env's emulator and ledger file
	webhook  bool // give the API its own URL as -public-url, so jobs carry a webhook
	// maxAssetBytes caps an image asset (default 1 MiB).
	maxAssetBytes int64
}

// newEnvSharing starts a second API on first's emulator and ledger file, as a
// restarted server would.
func newEnvSharing(t *testing.T, first *env) *env {
	return newEnv(t, envOptions{share: first})
}

// newEnv starts the emulator and the API on real loopback listeners, with
// the ledger in a file under t.TempDir().
func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, logs: &testutil.SyncBuffer{}}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.emu.APIKey == "" {
		o.emu.APIKey = testKey
	}
	if o.emu.ExecutionTime == 0 {
		o.emu.ExecutionTime = 40 * time.Millisecond
	}
	if o.emu.Workers == 0 {
		o.emu.Workers = 4
	}
	o.emu.Logger = logger.With("component", "emulator")
	if o.share != nil {
		e.emu, e.emuSrv, o.dbPath = o.share.emu, o.share.emuSrv, o.share.dbPath
	} else {
		e.emu = emulator.New(o.emu)
		e.emuSrv = httptest.NewServer(e.emu)
		t.Cleanup(func() { e.emuSrv.Close(); e.emu.Close() })
	}
	e.dbPath = o.dbPath
	if e.dbPath == "" {
		e.dbPath = filepath.Join(t.TempDir(), "ledger.db")
	}
	var err error
	e.ledger, err = ledger.Open(context.Background(), e.dbPath, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tc targets.Config
	if !o.noTarget {
		tg := targets.Target{Name: "emu", BaseURL: emulator.BaseURL(e.emuSrv.URL), EndpointID: e.emu.EndpointID(),
			APIKeyEnv: "TEST_RUNPOD_KEY", PricePerSecondUSD: testPrice, Model: "sdxl-test",
			EstimateSeconds: 6, ExecutionTimeoutSeconds: 1, TTLSeconds: 600, APIKey: targets.NewSecret(testKey)}
		if o.target != nil {
			o.target(&tg)
		}
		tc = targets.Config{Default: "emu", Targets: []targets.Target{tg}}
	}
	if o.maxAssetBytes == 0 {
		o.maxAssetBytes = 1 << 20
	}
	e.assetsDir = t.TempDir()
	images, err := assets.Open(e.assetsDir, o.maxAssetBytes)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.srv = httptest.NewUnstartedServer(recordResponses(e.logs, mux))
	publicURL := ""
	if o.webhook {
		publicURL = "http://" + e.srv.Listener.Addr().String()
	}
	e.jobs, err = jobs.New(jobs.Config{
		Ledger: e.ledger, Targets: tc, Budgets: o.budgets, RateLimit: o.rate, PublicURL: publicURL,
		Logger: logger, PollInterval: 10 * time.Millisecond, MaxPollInterval: 50 * time.Millisecond,
		Retry: runpod.RetryPolicy{BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.api, err = api.New(api.Config{Jobs: e.jobs, Access: o.access, Logger: logger, Assets: images})
	if err != nil {
		t.Fatal(err)
	}
	e.api.Register(mux)
	e.srv.Start()
	t.Cleanup(func() {
		e.srv.Close()
		e.jobs.Close(time.Second)
		e.ledger.Close()
		assertNoSecret(t, "responses or logs", e.logs.String(), testKey)
	})
	return e
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (e *env) do(method, path string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: data}
}

func imageBody(key string, extra map[string]any) map[string]any {
	b := map[string]any{"prompt": "a lighthouse at dusk", "width": 512, "height": 512, "steps": 25,
		"client_id": "client-1", "idempotency_key": key}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// waitSettled polls GET /api/images/{id} until the job is settled.
func (e *env) waitSettled(id string) jobs.JobView {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var v jobs.JobView
		r := e.do("GET", "/api/images/"+id, nil)
		if r.code != http.StatusOK {
			e.t.Fatalf("GET job: %d %s", r.code, r.body)
		}
		r.decode(e.t, &v)
		if v.Settled {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("job %s not settled in time", id)
	return jobs.JobView{}
}

// remoteStatus reads the job straight from the emulator.
func (e *env) remoteStatus(remoteID string) runpod.Job {
	e.t.Helper()
	c, err := runpod.NewClient(runpod.ClientConfig{BaseURL: emulator.BaseURL(e.emuSrv.URL),
		EndpointID: e.emu.EndpointID(), APIKey: testKey})
	if err != nil {
		e.t.Fatal(err)
	}
	j, err := c.Status(context.Background(), remoteID)
	if err != nil {
		e.t.Fatalf("emulator status %s: %v", remoteID, err)
	}
	return j
}

// allJobs lists every ledger row.
func (e *env) allJobs() []ledger.Job {
	e.t.Helper()
	jobs, err := e.ledger.Jobs(context.Background(), time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	return jobs
}

// spend is what today's budgets see committed over every identity.
func (e *env) spend() ledger.Micros {
	e.t.Helper()
	since, until := ledger.DayWindow(time.Now())
	m, err := e.ledger.Spend(context.Background(), "", since, until)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}
