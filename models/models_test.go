package models_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
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
	if len(v.Files) != 9 || !v.Requirements.NeedsShaderF16 {
		t.Errorf("variant %+v", v)
	}
	tokenizer := map[string]bool{}
	for _, f := range v.Files {
		if f.Role == "tokenizer" {
			tokenizer[f.Path] = true
		}
	}
	if !tokenizer["tokenizer/vocab.json"] || !tokenizer["tokenizer/merges.txt"] {
		t.Errorf("the CLIP tokenizer files are missing: %v", tokenizer)
	}
	f := v.Files[5]
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

// The manifests under testdata/ are shared with the TypeScript validator's
// tests (web/packages/core/src/models/validate.test.ts): both sides must agree.
func TestValidationAgainstSharedTestdata(t *testing.T) {
	valid, _ := filepath.Glob("testdata/valid/*.json")
	if len(valid) == 0 {
		t.Fatal("no valid testdata")
	}
	for _, file := range valid {
		if _, err := models.Load(file); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	b, err := os.ReadFile("testdata/invalid/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]string
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	for name, field := range expected {
		_, err := models.Load(filepath.Join("testdata/invalid", name))
		if !errors.Is(err, models.ErrInvalidManifest) {
			t.Errorf("%s: got %v, want ErrInvalidManifest", name, err)
			continue
		}
		var fe *models.FieldError
		if errors.As(err, &fe) {
			if !strings.Contains(err.Error(), field+": ") {
				t.Errorf("%s: %v, want a problem at %s", name, err, field)
			}
		} else if !strings.Contains(err.Error(), `"`+field[strings.LastIndex(field, ".")+1:]+`"`) {
			t.Errorf("%s: %v, want it to name %s", name, err, field)
		}
	}
}
