package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/testutil"
)

const testKey = "rpa_TESTKEY_0123456789"

// endpoint is where a test reaches an emulator: its root URL and a client.
type endpoint struct {
	URL    string
	client *http.Client
}

// start serves an emulator on a loopback listener.
func start(t *testing.T, cfg emulator.Config) (*emulator.Emulator, *endpoint) {
	t.Helper()
	e := emulator.New(withDefaults(cfg))
	srv := httptest.NewServer(e)
	t.Cleanup(func() { srv.Close(); e.Close() })
	return e, &endpoint{URL: srv.URL, client: srv.Client()}
}

// startInBubble serves an emulator in memory; call it inside
// synctest.Test, so that its clock (cold starts, execution times, ttl,
// runsync waits) is the bubble's fake one and the test sleeps no real
// time.
func startInBubble(t *testing.T, cfg emulator.Config) (*emulator.Emulator, *endpoint) {
	t.Helper()
	e := emulator.New(withDefaults(cfg))
	t.Cleanup(e.Close)
	return e, &endpoint{URL: "http://emulator.test", client: testutil.ServeInMemory(t, e)}
}

func withDefaults(cfg emulator.Config) emulator.Config {
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	if cfg.EndpointID == "" {
		cfg.EndpointID = "ep1"
	}
	return cfg
}

// reply is a decoded JSON answer.
type reply struct {
	code   int
	header http.Header
	body   map[string]any
}

// call sends a request with the test key and decodes a JSON object answer.
func call(t *testing.T, srv *endpoint, method, url string, body any) reply {
	t.Helper()
	return callWithKey(t, srv, method, url, body, testKey)
}

func callWithKey(t *testing.T, srv *endpoint, method, url string, body any, key string) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := srv.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{code: resp.StatusCode, header: resp.Header}
	if len(bytes.TrimSpace(data)) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &r.body); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, url, data, err)
		}
	}
	return r
}

// api returns the endpoint's URL prefix.
func api(srv *endpoint) string { return emulator.BaseURL(srv.URL) + "/ep1" }

// submit posts input to /run and returns the job id.
func submit(t *testing.T, srv *endpoint, body map[string]any) string {
	t.Helper()
	r := call(t, srv, "POST", api(srv)+"/run", body)
	if r.code != 200 || r.body["status"] != "IN_QUEUE" || r.body["id"] == "" {
		t.Fatalf("run: %d %v", r.code, r.body)
	}
	return r.body["id"].(string)
}

// waitFinal polls /status until the job is final.
func waitFinal(t *testing.T, srv *endpoint, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r := call(t, srv, "GET", api(srv)+"/status/"+id, nil)
		if r.code != 200 {
			t.Fatalf("status %s: %d %v", id, r.code, r.body)
		}
		switch r.body["status"] {
		case "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT":
			return r.body
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", id)
	return nil
}

// waitStatus polls until the job reaches status.
func waitStatus(t *testing.T, srv *endpoint, id, status string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r := call(t, srv, "GET", api(srv)+"/status/"+id, nil); r.body["status"] == status {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("job %s never reached %s", id, status)
}

func input(prompt string, extra map[string]any) map[string]any {
	in := map[string]any{"prompt": prompt, "width": 256, "height": 256, "seed": 42}
	for k, v := range extra {
		in[k] = v
	}
	return map[string]any{"input": in}
}
