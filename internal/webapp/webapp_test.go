package webapp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":           {Data: []byte("<!doctype html><title>app</title>")},
		"assets/app-abc123.js": {Data: []byte("console.log('app')")},
		"favicon.svg":          {Data: []byte("<svg/>")},
	}
}

func get(t *testing.T, h http.Handler, path string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestServesFilesWithCachingRules(t *testing.T) {
	h := Handler(testFS())
	asset := get(t, h, "/assets/app-abc123.js", nil)
	if asset.StatusCode != http.StatusOK || !strings.Contains(asset.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("hashed asset: status %d, Cache-Control %q", asset.StatusCode, asset.Header.Get("Cache-Control"))
	}
	if ct := asset.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Content-Type %q, want javascript", ct)
	}
	index := get(t, h, "/", nil)
	if index.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("index Cache-Control %q, want no-cache", index.Header.Get("Cache-Control"))
	}
}

func TestETagRevalidation(t *testing.T) {
	h := Handler(testFS())
	first := get(t, h, "/favicon.svg", nil)
	etag := first.Header.Get("ETag")
	if len(etag) < 10 || etag[0] != '"' {
		t.Fatalf("ETag %q, want a strong quoted tag", etag)
	}
	second := get(t, h, "/favicon.svg", http.Header{"If-None-Match": {etag}})
	if second.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation status %d, want 304", second.StatusCode)
	}
}

func TestRangeRequests(t *testing.T) {
	resp := get(t, Handler(testFS()), "/assets/app-abc123.js", http.Header{"Range": {"bytes=0-6"}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusPartialContent || string(body) != "console" {
		t.Fatalf("range: status %d body %q", resp.StatusCode, body)
	}
}

func TestClientRoutesFallBackToIndex(t *testing.T) {
	resp := get(t, Handler(testFS()), "/boards/42", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<title>app</title>") {
		t.Fatalf("client route: status %d body %q", resp.StatusCode, body)
	}
	missing := get(t, Handler(testFS()), "/assets/missing.js", nil)
	if missing.StatusCode != http.StatusNotFound {
		t.Fatalf("missing asset: status %d, want 404", missing.StatusCode)
	}
}

func TestTraversalStaysInside(t *testing.T) {
	for _, p := range []string{"/../../etc/passwd", "/assets/../../go.mod", "/%2e%2e/secret"} {
		resp := get(t, Handler(testFS()), p, nil)
		body, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(body), "root:") {
			t.Fatalf("%s escaped the app folder", p)
		}
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	rec := httptest.NewRecorder()
	Handler(testFS()).ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST status %d, want 405", rec.Code)
	}
}

func TestUnbuiltAppExplainsItself(t *testing.T) {
	resp := get(t, Handler(fstest.MapFS{".gitkeep": {}}), "/", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "make run") {
		t.Fatalf("unbuilt app: status %d body %q", resp.StatusCode, body)
	}
	if HasIndex(fstest.MapFS{".gitkeep": {}}) {
		t.Fatal("HasIndex true without index.html")
	}
}
