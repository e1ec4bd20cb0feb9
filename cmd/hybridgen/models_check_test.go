package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hybridgen/internal/onnx"
	ot "hybridgen/internal/onnx/onnxtest"
	"hybridgen/models"
)

// checkFixture writes a model folder: a manifest.json whose wasm variant has
// a UNet using com.microsoft GroupNorm (no CPU kernel) and whose webgpu-f16
// variant has one using BiasSplitGelu (a WebGPU kernel).
func checkFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	graphs := map[string][]byte{
		"text_encoder/model.onnx": ot.Model(map[string]uint64{"": 17}, ot.Node("Gather", ""), ot.Node("MatMul", ""),
			ot.Input("input_ids", ot.Int32, "batch_size", 77), ot.Output("last_hidden_state", ot.Float32, "batch_size", 77, 1024),
			ot.Output("pooler_output", ot.Float32, "batch_size", 1024)),
		"wasm/unet/model.onnx": ot.Model(map[string]uint64{"": 17, "com.microsoft": 1}, ot.Node("Conv", ""), ot.Node("GroupNorm", "com.microsoft"),
			ot.Initializer("w", 4096), ot.Input("sample", ot.Float32, "batch_size", 4, "height", "width"), ot.Input("timestep", ot.Int64, 1),
			ot.Output("out_sample", ot.Float32, "batch_size", 4, "height", "width")),
		"f16/unet/model.onnx": ot.Model(map[string]uint64{"": 17, "com.microsoft": 1}, ot.Node("Conv", ""), ot.Node("BiasSplitGelu", "com.microsoft"),
			ot.Input("sample", ot.Float32, "batch_size", 4, "height", "width"), ot.Output("out_sample", ot.Float32, "batch_size", 4, "height", "width")),
	}
	size := map[string]int{}
	for p, b := range graphs {
		size[p] = len(b)
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	variant := func(unet string) map[string]any {
		return map[string]any{
			"requirements": map[string]any{"totalBytes": size["text_encoder/model.onnx"] + size[unet], "largestBufferBytes": 0, "peakMemoryBytes": 0, "needsShaderF16": false},
			"files": []map[string]any{
				{"role": "text_encoder", "path": "text_encoder/model.onnx", "bytes": size["text_encoder/model.onnx"], "sha256": nil},
				{"role": "unet", "path": unet, "bytes": size[unet], "sha256": nil},
			},
		}
	}
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 1, "id": "check", "displayName": "Check", "license": map[string]any{"name": "test"},
		"baseUrl": "./", "pipeline": map[string]any{"kind": "test"},
		"variants": map[string]any{"wasm": variant("wasm/unet/model.onnx"), "webgpu-f16": variant("f16/unet/model.onnx")},
	})
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestModelsCheckListsGraphsAndRefusesUnsupportedOps(t *testing.T) {
	dir := checkFixture(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"models", "check", dir, "-write"}, &stdout, &stderr)
	var problem models.VariantProblem
	if !errors.Is(err, models.ErrUnsupportedOps) || !errors.As(err, &problem) || problem.Variant != "wasm" || exitCode(err) != 1 {
		t.Fatalf("check: %v (exit %d), want the wasm variant refused\n%s", err, exitCode(err), stdout.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"inputs:  input_ids int32 [batch_size, 77]",
		"outputs: last_hidden_state float32 [batch_size, 77, 1024]",
		"pooler_output float32 [batch_size, 1024]",
		"inputs:  sample float32 [batch_size, 4, height, width]",
		"timestep int64 [1]",
		"opsets:  ai.onnx 17, com.microsoft 1",
		"com.microsoft (1): GroupNorm",
		"webgpu-f16 ok",
		"wasm       CANNOT RUN: wasm/unet/model.onnx uses com.microsoft.GroupNorm",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "w float16") {
		t.Errorf("an initializer is listed as an input:\n%s", out)
	}

	// A mirror folder holding the model is checked model by model.
	mirrorRoot := t.TempDir()
	if err := os.Rename(dir, filepath.Join(mirrorRoot, "check")); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(mirrorRoot, "check")
	stdout.Reset()
	if err := run(context.Background(), []string{"models", "check", mirrorRoot}, &stdout, &stderr); !errors.Is(err, models.ErrUnsupportedOps) || !strings.Contains(stdout.String(), "check (Check)") {
		t.Fatalf("mirror folder: %v\n%s", err, stdout.String())
	}

	// -write kept the summaries: with the graphs gone, the manifest alone
	// still tells which backend cannot run them (as the browser does).
	m, err := models.Load(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if g := m.Variants["wasm"].Files[1].Graph; g == nil || g.Ops["com.microsoft"][0] != "GroupNorm" {
		t.Fatalf("summary not written: %+v", m.Variants["wasm"].Files[1])
	}
	for _, p := range []string{"wasm", "f16", "text_encoder"} {
		if err := os.RemoveAll(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	stdout.Reset()
	err = run(context.Background(), []string{"models", "check", filepath.Join(dir, "manifest.json")}, &stdout, &stderr)
	if !errors.Is(err, models.ErrUnsupportedOps) || !strings.Contains(stdout.String(), "from the manifest's summary") {
		t.Fatalf("check from summaries: %v\n%s", err, stdout.String())
	}
}

func TestModelsCheckErrors(t *testing.T) {
	dir := checkFixture(t)
	if err := os.WriteFile(filepath.Join(dir, "f16", "unet", "model.onnx"), []byte("not a protobuf at all, just text"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"models", "check", dir}, &stdout, &stderr)
	if !errors.Is(err, onnx.ErrNotONNX) || !strings.Contains(err.Error(), "f16/unet/model.onnx") {
		t.Fatalf("a broken graph: %v", err)
	}
	if err := run(context.Background(), []string{"models", "check"}, &stdout, &stderr); exitCode(err) != 2 {
		t.Fatalf("no target: %v", err)
	}
	if err := run(context.Background(), []string{"models", "check", filepath.Join(dir, "nope.json")}, &stdout, &stderr); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing manifest: %v", err)
	}
	// A built-in manifest without summaries: nothing to judge, and it says so.
	stdout.Reset()
	if err := run(context.Background(), []string{"models", "check", "sd-turbo"}, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "no graph summary") {
		t.Fatalf("sd-turbo: %v\n%s", err, stdout.String())
	}
}
