package mirror_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hybridgen/internal/mirror"
	"hybridgen/internal/server"
	"hybridgen/internal/testutil"
)

type fixture struct {
	url    string
	dir    string
	logs   *testutil.SyncBuffer
	faults *mirror.Faults
}

// start serves dir through the real server stack (middleware and headers
// included) on a loopback port.
func start(t *testing.T, dir string, withFaults bool) fixture {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	opts := mirror.Options{Logger: logger}
	if withFaults {
		opts.Faults = mirror.NewFaults()
	}
	h, err := mirror.New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	mux := http.NewServeMux()
	h.Mount(mux)
	srv, err := server.Listen(server.Config{Addr: "127.0.0.1:0", Handler: mux, Logger: logger, Headers: server.DefaultHeaderPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return fixture{url: srv.URL(), dir: dir, logs: logs, faults: opts.Faults}
}

func writeFile(t *testing.T, dir, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func do(t *testing.T, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, body
}

func TestServesFileWithHashETagCORSAndCORP(t *testing.T) {
	dir := t.TempDir()
	data := testutil.RandomBytes(300_000, 1)
	writeFile(t, dir, "m/unet/model.onnx", data)
	f := start(t, dir, false)

	resp, body := do(t, "GET", f.url+"/models/m/unet/model.onnx", nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET: status %d, %d bytes", resp.StatusCode, len(body))
	}
	want := map[string]string{
		"ETag":                          `"` + testutil.SHA256Hex(data) + `"`,
		"X-Linked-Etag":                 `"` + testutil.SHA256Hex(data) + `"`,
		"Accept-Ranges":                 "bytes",
		"Access-Control-Allow-Origin":   "*",
		"Cross-Origin-Resource-Policy":  "cross-origin",
		"Content-Type":                  "application/octet-stream",
		"Content-Length":                "300000",
		"Access-Control-Expose-Headers": "ETag, X-Linked-Etag, Content-Length, Content-Range, Accept-Ranges",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}

	resp, body = do(t, "HEAD", f.url+"/models/m/unet/model.onnx", nil)
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != "300000" || resp.Header.Get("ETag") != `"`+testutil.SHA256Hex(data)+`"` {
		t.Fatalf("HEAD: status %d, body %d, headers %v", resp.StatusCode, len(body), resp.Header)
	}

	resp, _ = do(t, "OPTIONS", f.url+"/models/m/unet/model.onnx", map[string]string{
		"Origin": "http://elsewhere.test", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range, if-range",
	})
	if resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "If-Range") {
		t.Fatalf("preflight: status %d, headers %v", resp.StatusCode, resp.Header)
	}
}

func TestRangeAndIfRange(t *testing.T) {
	dir := t.TempDir()
	data := testutil.RandomBytes(100_000, 2)
	writeFile(t, dir, "m/a.bin", data)
	f := start(t, dir, false)
	etag := `"` + testutil.SHA256Hex(data) + `"`

	resp, body := do(t, "GET", f.url+"/models/m/a.bin", map[string]string{"Range": "bytes=12345-"})
	if resp.StatusCode != 206 || !bytes.Equal(body, data[12345:]) || resp.Header.Get("Content-Range") != "bytes 12345-99999/100000" {
		t.Fatalf("Range: status %d, %d bytes, Content-Range %q", resp.StatusCode, len(body), resp.Header.Get("Content-Range"))
	}
	resp, body = do(t, "GET", f.url+"/models/m/a.bin", map[string]string{"Range": "bytes=500-", "If-Range": etag})
	if resp.StatusCode != 206 || !bytes.Equal(body, data[500:]) {
		t.Fatalf("If-Range match: status %d, %d bytes", resp.StatusCode, len(body))
	}
	// A stale validator means the file changed: the whole new file comes back.
	resp, body = do(t, "GET", f.url+"/models/m/a.bin", map[string]string{"Range": "bytes=500-", "If-Range": `"` + strings.Repeat("0", 64) + `"`})
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("If-Range mismatch: status %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, _ = do(t, "GET", f.url+"/models/m/a.bin", map[string]string{"Range": "bytes=100000-"})
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("range past the end: status %d", resp.StatusCode)
	}
	if !strings.Contains(f.logs.String(), `"range":"bytes=12345-"`) {
		t.Errorf("the request log lacks the Range header:\n%s", f.logs.String())
	}
}

func TestETagFollowsContentAndSidecar(t *testing.T) {
	dir := t.TempDir()
	data := testutil.RandomBytes(5000, 3)
	writeFile(t, dir, "m/x.bin", data)
	f := start(t, dir, false)
	url := f.url + "/models/m/x.bin"

	resp, _ := do(t, "HEAD", url, nil)
	if got := resp.Header.Get("ETag"); got != `"`+testutil.SHA256Hex(data)+`"` {
		t.Fatalf("ETag %s", got)
	}
	// A changed file (new size and mtime) gets a new hash.
	changed := testutil.RandomBytes(6000, 4)
	writeFile(t, dir, "m/x.bin", changed)
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "m/x.bin"), future, future); err != nil {
		t.Fatal(err)
	}
	resp, _ = do(t, "HEAD", url, nil)
	if got := resp.Header.Get("ETag"); got != `"`+testutil.SHA256Hex(changed)+`"` {
		t.Fatalf("ETag after change %s, want %s", got, testutil.SHA256Hex(changed))
	}

	// A sidecar recorded by `models pull` is trusted when its size matches:
	// the mirror then advertises the recorded hash, so bit rot on the server
	// is caught by clients instead of being blessed by a fresh hash.
	recorded := strings.Repeat("ab", 32)
	writeFile(t, dir, "m/y.bin", data)
	writeFile(t, dir, "m/.y.bin.sha256", []byte(`{"sha256":"`+recorded+`","bytes":5000}`))
	resp, _ = do(t, "HEAD", f.url+"/models/m/y.bin", nil)
	if got := resp.Header.Get("ETag"); got != `"`+recorded+`"` {
		t.Fatalf("ETag with sidecar %s, want the recorded %s", got, recorded)
	}
	// A sidecar for another size is ignored.
	writeFile(t, dir, "m/z.bin", data)
	writeFile(t, dir, "m/.z.bin.sha256", []byte(`{"sha256":"`+recorded+`","bytes":1}`))
	resp, _ = do(t, "HEAD", f.url+"/models/m/z.bin", nil)
	if got := resp.Header.Get("ETag"); got != `"`+testutil.SHA256Hex(data)+`"` {
		t.Fatalf("ETag with a stale sidecar %s", got)
	}
}

func TestRefusesPathsOutsideTheFolder(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "models")
	secret := []byte("SECRET-OUTSIDE-THE-MIRROR")
	writeFile(t, base, "secret.txt", secret)
	writeFile(t, dir, "m/ok.bin", []byte("fine"))
	writeFile(t, dir, "m/.hidden", []byte("hidden"))
	writeFile(t, dir, "m/.ok.bin.partial", []byte("partial"))
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(dir, "m", "abs-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../secret.txt", filepath.Join(dir, "m", "rel-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok.bin", filepath.Join(dir, "m", "inside-link")); err != nil {
		t.Fatal(err)
	}
	f := start(t, dir, false)

	for _, p := range []string{
		"/models/../secret.txt",
		"/models/%2e%2e/secret.txt",
		"/models/m/%2e%2e/%2e%2e/secret.txt",
		"/models/m/..%2f..%2fsecret.txt",
		"/models/m%5c..%5c..%5csecret.txt",
		"/models/m/abs-link",
		"/models/m/rel-link",
		"/models/m/.hidden",
		"/models/m/.ok.bin.partial",
		"/models/m/",
		"/models/m",
		"/models/m/nothing.bin",
		"/models//etc/passwd",
	} {
		req, err := http.NewRequest("GET", f.url+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawPath = "" // send the path exactly as written
		req.URL.Opaque = strings.TrimPrefix(f.url, "http:") + p
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("%s -> %d", p, resp.StatusCode)
		if resp.StatusCode == 200 || bytes.Contains(body, secret) || bytes.Contains(body, []byte("hidden")) || bytes.Contains(body, []byte("partial")) {
			t.Errorf("%s: status %d, body %q", p, resp.StatusCode, body)
		}
	}
	resp, body := do(t, "GET", f.url+"/models/m/inside-link", nil)
	if resp.StatusCode != 200 || string(body) != "fine" {
		t.Errorf("a symlink inside the folder: status %d %q", resp.StatusCode, body)
	}
}

func TestCleanPath(t *testing.T) {
	good := []string{"a", "sd-turbo/unet/model.onnx", "m/weights.onnx_data", "a/b..c"}
	bad := []string{"", "/a", "a/", "a//b", ".", "..", "a/..", "../a", "a/./b", ".git/config", "a/.b", `a\b`, "a\x00b"}
	for _, p := range good {
		if got, err := mirror.CleanPath(p); err != nil || got != p {
			t.Errorf("CleanPath(%q) = %q, %v", p, got, err)
		}
	}
	for _, p := range bad {
		if _, err := mirror.CleanPath(p); !errors.Is(err, mirror.ErrBadPath) {
			t.Errorf("CleanPath(%q) = %v, want ErrBadPath", p, err)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a/.b", "a\\b", "a//b", "./a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := mirror.CleanPath(p)
		if err != nil {
			return
		}
		if !filepath.IsLocal(filepath.FromSlash(got)) || got != p {
			t.Fatalf("CleanPath(%q) = %q, not a local path", p, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg == "" || seg[0] == '.' {
				t.Fatalf("CleanPath(%q) let a dot or empty segment through", p)
			}
		}
	})
}
