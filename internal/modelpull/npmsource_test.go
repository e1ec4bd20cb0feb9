package modelpull_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"hybridgen/internal/modelpull"
	"hybridgen/internal/tfjs"
	"hybridgen/models"
)

// esrganTarball is an npm tarball shaped like @upscalerjs/esrgan-slim's with
// a tiny 2x layers model: conv1x1(3->3) then nearest 2x upsampling.
func esrganTarball(t *testing.T) []byte {
	t.Helper()
	conv := map[string]any{"name": "c", "filters": 3, "kernel_size": []int{1, 1}, "strides": []int{1, 1}, "padding": "valid", "activation": "linear", "use_bias": true}
	model, _ := json.Marshal(map[string]any{
		"format": "layers-model",
		"modelTopology": map[string]any{"model_config": map[string]any{"class_name": "Functional", "config": map[string]any{
			"layers": []any{
				map[string]any{"class_name": "InputLayer", "name": "in", "config": map[string]any{}, "inbound_nodes": []any{}},
				map[string]any{"class_name": "Conv2D", "name": "c", "config": conv, "inbound_nodes": []any{[]any{[]any{"in", 0, 0, map[string]any{}}}}},
				map[string]any{"class_name": "UpSampling2D", "name": "up", "config": map[string]any{"size": []int{2, 2}}, "inbound_nodes": []any{[]any{[]any{"c", 0, 0, map[string]any{}}}}},
			},
			"output_layers": []any{[]any{"up", 0, 0}},
		}}},
		"weightsManifest": []any{map[string]any{"paths": []string{"w.bin"}, "weights": []any{
			map[string]any{"name": "c/kernel", "shape": []int{1, 1, 3, 3}, "dtype": "float32"},
			map[string]any{"name": "c/bias", "shape": []int{3}, "dtype": "float32"},
		}}},
	})
	var weights []byte
	for i := range 12 {
		weights = binary.LittleEndian.AppendUint32(weights, math.Float32bits(float32(i)/10))
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string][]byte{"package/models/x2/model.json": model, "package/models/x2/w.bin": weights} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func npmManifest(t *testing.T, blob string, size int) *models.Manifest {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"schemaVersion": 1, "id": "up", "displayName": "up", "license": map[string]any{"name": "test"},
		"baseUrl": "/models/up/", "pipeline": map[string]any{"kind": "upscaler", "valueRange": 255, "tilePadding": 12},
		"variants": map[string]any{"wasm": map[string]any{
			"requirements": map[string]any{"totalBytes": size, "largestBufferBytes": 0, "peakMemoryBytes": 0, "needsShaderF16": false},
			"files": []any{map[string]any{
				"role": "upscaler", "path": "x2/model.onnx", "bytes": size, "sha256": nil,
				"source": map[string]any{"url": "npm:@upscalerjs/esrgan-slim@1.0.0", "gitBlobSha1": blob, "convert": "upscalerjs-esrgan-slim-x2"},
			}},
		}},
	})
	m, err := models.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPullConvertsAnNPMTarballFromNPMPacks(t *testing.T) {
	tgz := esrganTarball(t)
	want, err := tfjs.ESRGANSlim(2)(tgz)
	if err != nil {
		t.Fatal(err)
	}
	packs := t.TempDir()
	// The name npm pack gives @upscalerjs/esrgan-slim@1.0.0.
	if err := os.WriteFile(filepath.Join(packs, "upscalerjs-esrgan-slim-1.0.0.tgz"), tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := modelpull.Pull(context.Background(), npmManifest(t, gitBlobSHA1(tgz), len(want)), modelpull.Options{Dir: dir, NPMPacks: packs})
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, dir, "up", testFile{path: "x2/model.onnx", data: want})
	if res[0].VerifiedBy != "source" || res[0].Downloaded != int64(len(tgz)) {
		t.Fatalf("result %+v", res[0])
	}

	other := npmManifest(t, "0000000000000000000000000000000000000000", len(want))
	if _, err := modelpull.Pull(context.Background(), other, modelpull.Options{Dir: t.TempDir(), NPMPacks: packs}); !errors.Is(err, modelpull.ErrSourceMismatch) {
		t.Fatalf("a tarball of another git blob: err = %v, want ErrSourceMismatch", err)
	}
	if _, err := modelpull.Pull(context.Background(), other, modelpull.Options{Dir: t.TempDir(), NPMPacks: t.TempDir()}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no tarball in -npm-packs: err = %v, want ErrNotExist", err)
	}
}
