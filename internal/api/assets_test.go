package api_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hybridgen/internal/api"
)

// pngOf encodes a side x side PNG of random pixels (so it does not
// compress to nothing) and returns it with its SHA-256 in hex.
func pngOf(t *testing.T, side int) ([]byte, string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	if _, err := rand.Read(img.Pix); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:])
}

func (e *env) putAsset(hash, contentType string, body []byte, headers ...string) response {
	e.t.Helper()
	return e.do("PUT", api.AssetRoute+hash, body, append([]string{"Content-Type", contentType}, headers...)...)
}

// storedFiles lists the asset folder, temporary files included.
func (e *env) storedFiles() []string {
	e.t.Helper()
	entries, err := os.ReadDir(e.assetsDir)
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, d := range entries {
		names = append(names, d.Name())
	}
	return names
}

// TestAssetsStoreAndServeByHash: an image PUT under its SHA-256 is stored
// once, under that name, and served back with its type and a year of
// caching; If-None-Match gets 304.
func TestAssetsStoreAndServeByHash(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noTarget: true})
	data, hash := pngOf(t, 64)
	r := e.putAsset(hash, "image/png", data)
	var v api.AssetView
	r.decode(t, &v)
	if r.code != http.StatusCreated || v.SHA256 != hash || v.URL != "/api/assets/"+hash || v.ContentType != "image/png" {
		t.Fatalf("put = %d %s", r.code, r.body)
	}
	if again := e.putAsset(hash, "image/png", data); again.code != http.StatusOK {
		t.Fatalf("second put = %d %s, want 200", again.code, again.body)
	}
	if files := e.storedFiles(); len(files) != 1 || files[0] != hash {
		t.Fatalf("asset folder = %v, want just %s", files, hash)
	}

	g := e.do("GET", v.URL, nil)
	if g.code != http.StatusOK || !bytes.Equal(g.body, data) {
		t.Fatalf("get = %d, %d bytes, want 200 and the %d bytes put", g.code, len(g.body), len(data))
	}
	h := g.header
	if h.Get("Content-Type") != "image/png" || h.Get("ETag") != `"`+hash+`"` ||
		!strings.Contains(h.Get("Cache-Control"), "max-age=31536000") || !strings.Contains(h.Get("Cache-Control"), "immutable") {
		t.Fatalf("get headers = %v", h)
	}
	if nm := e.do("GET", v.URL, nil, "If-None-Match", `"`+hash+`"`); nm.code != http.StatusNotModified {
		t.Fatalf("conditional get = %d, want 304", nm.code)
	}
	other, _ := pngOf(t, 8)
	sum := sha256.Sum256(other)
	if g := e.do("GET", api.AssetRoute+hex.EncodeToString(sum[:]), nil); g.code != http.StatusNotFound {
		t.Fatalf("get of an unknown hash = %d %s, want 404", g.code, g.body)
	}
}

// TestAssetsRefuseBadInput: a wrong hash, a name that is no hash, a type
// that is not an image (declared or sniffed) and a body over the limit are
// each refused with their typed code, and leave nothing behind.
func TestAssetsRefuseBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noTarget: true, maxAssetBytes: 4096})
	small, hash := pngOf(t, 8)
	big, bigHash := pngOf(t, 128)
	html := []byte("<!doctype html><script>alert(1)</script>")
	htmlSum := sha256.Sum256(html)
	cases := []struct {
		name, hash, contentType string
		body                    []byte
		status                  int
		code, field             string
	}{
		{"wrong hash", strings.Repeat("ab", 32), "image/png", small, 400, api.CodeInvalidRequest, "body"},
		{"not a hash", "../../etc/passwd", "image/png", small, 404, "", ""},
		{"upper-case hash", strings.ToUpper(hash), "image/png", small, 400, api.CodeInvalidRequest, "sha256"},
		{"declared html", hex.EncodeToString(htmlSum[:]), "text/html", html, 415, api.CodeUnsupportedMedia, ""},
		{"html as png", hex.EncodeToString(htmlSum[:]), "image/png", html, 415, api.CodeUnsupportedMedia, ""},
		{"png as jpeg", hash, "image/jpeg", small, 415, api.CodeUnsupportedMedia, ""},
		{"too large", bigHash, "image/png", big, 413, api.CodeTooLarge, ""},
	}
	for _, c := range cases {
		r := e.putAsset(c.hash, c.contentType, c.body)
		if r.code != c.status {
			t.Errorf("%s: = %d %s, want %d", c.name, r.code, r.body, c.status)
			continue
		}
		if c.code == "" {
			continue
		}
		var body api.ErrorBody
		r.decode(t, &body)
		if body.Error.Code != c.code || (c.field != "" && (len(body.Error.Fields) != 1 || body.Error.Fields[0].Field != c.field)) {
			t.Errorf("%s: error = %s, want code %s field %q", c.name, r.body, c.code, c.field)
		}
	}
	// Over the limit without a Content-Length: cut off while read.
	req, _ := http.NewRequest("PUT", e.srv.URL+api.AssetRoute+bigHash, io.MultiReader(bytes.NewReader(big)))
	req.Header.Set("Content-Type", "image/png")
	req.ContentLength = -1
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over the limit = %d, want 413", resp.StatusCode)
	}
	if files := e.storedFiles(); len(files) != 0 {
		t.Fatalf("refused uploads left files behind: %v", files)
	}
	if r := e.putAsset(hash, "image/png", small); r.code != http.StatusCreated {
		t.Fatalf("a good image after the refusals = %d %s", r.code, r.body)
	}
	if _, err := os.Stat(filepath.Join(e.assetsDir, hash)); err != nil {
		t.Fatal(err)
	}
	var cfg api.ConfigView
	e.do("GET", "/api/config", nil).decode(t, &cfg)
	if cfg.Limits.MaxAssetBytes != 4096 {
		t.Fatalf("config max_asset_bytes = %d, want 4096", cfg.Limits.MaxAssetBytes)
	}
}

// TestAssetsAreGuarded: the asset routes need what every guarded route
// needs: a valid bearer token when tokens are required, and the page's own
// origin.
func TestAssetsAreGuarded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noTarget: true, access: api.Access{RequireToken: true, Tokens: []api.Token{{Name: "alice", Secret: "s3cret-token"}}}})
	data, hash := pngOf(t, 16)
	if r := e.putAsset(hash, "image/png", data); r.code != http.StatusUnauthorized {
		t.Fatalf("put without a token = %d %s, want 401", r.code, r.body)
	}
	if r := e.putAsset(hash, "image/png", data, "Authorization", "Bearer s3cret-token", "Origin", "https://evil.example"); r.code != http.StatusForbidden {
		t.Fatalf("cross-origin put = %d %s, want 403", r.code, r.body)
	}
	if r := e.putAsset(hash, "image/png", data, "Authorization", "Bearer s3cret-token"); r.code != http.StatusCreated {
		t.Fatalf("put with a token = %d %s, want 201", r.code, r.body)
	}
	if r := e.do("GET", api.AssetRoute+hash, nil); r.code != http.StatusUnauthorized {
		t.Fatalf("get without a token = %d, want 401", r.code)
	}
	if r := e.do("GET", api.AssetRoute+hash, nil, "Authorization", "Bearer s3cret-token"); r.code != http.StatusOK || !bytes.Equal(r.body, data) {
		t.Fatalf("get with a token = %d, want 200 and the image", r.code)
	}
}
