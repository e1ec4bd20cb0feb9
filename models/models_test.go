package models_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"hybridgen/models"
)

func TestEmbeddedManifestsAreValid(t *testing.T) {
	all, err := models.All()
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.Lookup("sd-turbo")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || m.DisplayName != "SD-Turbo" {
		t.Fatalf("manifests %v", all)
	}
	if !strings.Contains(m.BaseURL, "/resolve/ace89b7d2cd849f9a73914cdbb8a3ea60c853dd1/") {
		t.Errorf("sd-turbo is not pinned: %s", m.BaseURL)
	}
	v := m.Variants["webgpu-f16"]
	if len(v.Files) != 3 || !v.Requirements.NeedsShaderF16 {
		t.Errorf("variant %+v", v)
	}
	f := v.Files[1]
	if got := m.FileURL("", f); got != m.BaseURL+"unet/model.onnx" {
		t.Errorf("FileURL upstream %s", got)
	}
	if got := m.FileURL("http://team:8080/models/", f); got != "http://team:8080/models/sd-turbo/unet/model.onnx" {
		t.Errorf("FileURL mirror %s", got)
	}
	if _, err := models.Lookup("nope"); !errors.Is(err, models.ErrUnknownModel) {
		t.Errorf("Lookup(nope) = %v", err)
	}
}

func valid() map[string]any {
	return map[string]any{
		"schemaVersion": 1, "id": "tiny", "displayName": "Tiny", "license": map[string]any{"name": "MIT"},
		"baseUrl": "/models/tiny/", "pipeline": map[string]any{"kind": "sd-turbo"},
		"variants": map[string]any{"wasm": map[string]any{
			"requirements": map[string]any{"totalBytes": 30, "largestBufferBytes": 10, "peakMemoryBytes": 10, "needsShaderF16": false},
			"files": []any{
				map[string]any{"role": "unet", "path": "unet/model.onnx", "bytes": 10, "sha256": strings.Repeat("a", 64)},
				map[string]any{"role": "vae_decoder", "path": "vae/model.onnx", "bytes": 20, "sha256": nil},
			},
		}},
	}
}

func TestValidation(t *testing.T) {
	file := func(m map[string]any, i int) map[string]any {
		return m["variants"].(map[string]any)["wasm"].(map[string]any)["files"].([]any)[i].(map[string]any)
	}
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		field string
	}{
		{"schema", func(m map[string]any) { m["schemaVersion"] = 2 }, "schemaVersion"},
		{"id", func(m map[string]any) { m["id"] = "../x" }, "id"},
		{"moving revision", func(m map[string]any) { m["baseUrl"] = "https://huggingface.co/a/b/resolve/main/" }, "baseUrl"},
		{"no slash", func(m map[string]any) { m["baseUrl"] = "https://x.test/a" }, "baseUrl"},
		{"scheme", func(m map[string]any) { m["baseUrl"] = "ftp://x.test/a/" }, "baseUrl"},
		{"backend", func(m map[string]any) { m["variants"].(map[string]any)["cuda"] = m["variants"].(map[string]any)["wasm"] }, "variants.cuda"},
		{"role", func(m map[string]any) { file(m, 0)["role"] = "safety_checker" }, "variants.wasm.files[0].role"},
		{"traversal", func(m map[string]any) { file(m, 0)["path"] = "../etc/passwd" }, "variants.wasm.files[0].path"},
		{"dotfile", func(m map[string]any) { file(m, 0)["path"] = "unet/.model.onnx.sha256" }, "variants.wasm.files[0].path"},
		{"hash", func(m map[string]any) { file(m, 1)["sha256"] = "ABC" }, "variants.wasm.files[1].sha256"},
		{"bytes", func(m map[string]any) { file(m, 1)["bytes"] = 0 }, "variants.wasm.files[1].bytes"},
		{"total", func(m map[string]any) { file(m, 1)["bytes"] = 21 }, "variants.wasm.requirements.totalBytes"},
		{"pipeline", func(m map[string]any) { m["pipeline"] = "x" }, "pipeline"},
	}
	b, _ := json.Marshal(valid())
	if _, err := models.Parse(b); err != nil {
		t.Fatalf("the valid manifest fails: %v", err)
	}
	for _, c := range cases {
		m := valid()
		c.edit(m)
		b, _ := json.Marshal(m)
		_, err := models.Parse(b)
		var fe *models.FieldError
		if !errors.Is(err, models.ErrInvalidManifest) || !errors.As(err, &fe) || !strings.Contains(err.Error(), c.field+":") {
			t.Errorf("%s: got %v, want a FieldError at %s", c.name, err, c.field)
		}
	}
	m := valid()
	m["licence"] = "typo"
	b, _ = json.Marshal(m)
	if _, err := models.Parse(b); !errors.Is(err, models.ErrInvalidManifest) {
		t.Errorf("an unknown field passed: %v", err)
	}
}
