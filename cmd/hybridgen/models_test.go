package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hybridgen/internal/mirror"
)

func TestModelsPullCommand(t *testing.T) {
	// An upstream mirror with one model, and its manifest on disk.
	up := t.TempDir()
	data := bytes.Repeat([]byte("hybridgen"), 50_000)
	if err := os.MkdirAll(filepath.Join(up, "tiny", "unet"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(up, "tiny", "unet", "model.onnx"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := mirror.New(up, mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sum := sha256.Sum256(data)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 1, "id": "tiny", "displayName": "Tiny", "license": map[string]any{"name": "test"},
		"baseUrl": "/models/tiny/", "pipeline": map[string]any{"kind": "test"},
		"variants": map[string]any{"wasm": map[string]any{
			"requirements": map[string]any{"totalBytes": len(data), "largestBufferBytes": 0, "peakMemoryBytes": 0, "needsShaderF16": false},
			"files":        []any{map[string]any{"role": "unet", "path": "unet/model.onnx", "bytes": len(data), "sha256": nil}},
		}},
	})
	manifestFile := filepath.Join(t.TempDir(), "tiny.json")
	if err := os.WriteFile(manifestFile, manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	var stdout, stderr bytes.Buffer
	// A relative baseUrl needs -base-url.
	if err := run(context.Background(), []string{"models", "pull", manifestFile, "-dir", dir}, &stdout, &stderr); err == nil || exitCode(err) != 2 {
		t.Fatalf("pull without -base-url: %v", err)
	}
	err = run(context.Background(), []string{"models", "pull", "-dir", dir, manifestFile, "-base-url", srv.URL + "/models/"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("pull: %v\n%s", err, stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(dir, "tiny", "unet", "model.onnx"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("pulled file: %v", err)
	}
	want := "tiny/unet/model.onnx  450000 bytes  sha256 " + hex.EncodeToString(sum[:]) + "  git blob "
	if !strings.Contains(stdout.String(), want) || !strings.Contains(stdout.String(), "(trust on first pull)") ||
		!strings.Contains(stdout.String(), "pinned every size and hash above in "+filepath.Join(dir, "tiny", "manifest.json")) ||
		!strings.Contains(stderr.String(), "100.0%") {
		t.Fatalf("stdout %q\nstderr %q", stdout.String(), stderr.String())
	}
	if err := run(context.Background(), []string{"models", "pull", "no-such-model", "-dir", dir}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "unknown model") {
		t.Fatalf("unknown model: %v", err)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"models", "list"}, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "sd-turbo") {
		t.Fatalf("list: %v %q", err, stdout.String())
	}
}
