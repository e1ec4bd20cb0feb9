package taesd_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hybridgen/internal/taesd"
	"hybridgen/internal/torchfile"
	"hybridgen/models"
)

// Fixtures: testdata/gen.py (python3-torch) wrote a width-8 TAESD decoder
// with torch.save and torch's output for a fixed latent.

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type runResult struct {
	Dims       []int    `json:"dims"`
	MaxAbsDiff float64  `json:"maxAbsDiff"`
	Min        float64  `json:"min"`
	Max        float64  `json:"max"`
	Inputs     []string `json:"inputs"`
	Outputs    []string `json:"outputs"`
}

// runWithORT runs the ONNX model with onnxruntime-node (web/node_modules,
// installed by `make deps`) on the reference latent.
func runWithORT(t *testing.T, onnx []byte) runResult {
	t.Helper()
	return runModelWithORT(t, onnx, "testdata/reference.json")
}

// runModelWithORT runs the ONNX model on the input of the reference file at
// refPath (see testdata/run-onnx.mjs).
func runModelWithORT(t *testing.T, onnx []byte, refPath string) runResult {
	t.Helper()
	model := filepath.Join(t.TempDir(), "tiny_decoder.onnx")
	if err := os.WriteFile(model, onnx, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "testdata/run-onnx.mjs", model, refPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node testdata/run-onnx.mjs (needs Node and web/node_modules from `make deps`): %v\n%s", err, stderr.String())
	}
	var r runResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("runner output %q: %v", out, err)
	}
	return r
}

// The converted graph computes what torch computes, on onnxruntime's CPU EP.
// Tolerance 1e-5: both sides are float32 and differ only in summation order.
func TestConvertedDecoderMatchesTorch(t *testing.T) {
	onnx, err := taesd.ConvertDecoder(readFixture(t, "decoder-w8.pth"))
	if err != nil {
		t.Fatal(err)
	}
	r := runWithORT(t, onnx)
	t.Logf("%d bytes of ONNX; max |onnx - torch| = %g over %v, sample in [%g, %g]", len(onnx), r.MaxAbsDiff, r.Dims, r.Min, r.Max)
	if !slices.Equal(r.Dims, []int{1, 3, 24, 40}) {
		t.Errorf("sample dims %v, want [1 3 24 40] (8x a 3x5 latent)", r.Dims)
	}
	if !slices.Equal(r.Inputs, []string{"latent_sample"}) || !slices.Equal(r.Outputs, []string{"sample"}) {
		t.Errorf("graph I/O %v -> %v", r.Inputs, r.Outputs)
	}
	if r.MaxAbsDiff > 1e-5 {
		t.Errorf("max |onnx - torch| = %g, want <= 1e-5", r.MaxAbsDiff)
	}
	if r.Min < 0 || r.Max > 1 || r.Max-r.Min < 0.5 {
		t.Errorf("sample range [%g, %g]: want inside [0, 1] and spread (the fixture's is [0.24, 1])", r.Min, r.Max)
	}
}

// The same weights saved as HalfStorage read back as their float16 values.
func TestHalfWeightsReadAsFloat16(t *testing.T) {
	f32, err := torchfile.Read(bytes.NewReader(readFixture(t, "decoder-w8.pth")), int64(len(readFixture(t, "decoder-w8.pth"))))
	if err != nil {
		t.Fatal(err)
	}
	half := readFixture(t, "decoder-w8-f16.pth")
	f16, err := torchfile.Read(bytes.NewReader(half), int64(len(half)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f16.Tensors) != len(f32.Tensors) || len(f32.Tensors) != 67 {
		t.Fatalf("%d half tensors, %d float tensors, want 67", len(f16.Tensors), len(f32.Tensors))
	}
	for i, h := range f16.Tensors {
		f := f32.Tensors[i]
		if h.Name != f.Name || h.DType != torchfile.Float16 || f.DType != torchfile.Float32 || !slices.Equal(h.Shape, f.Shape) {
			t.Fatalf("tensor %d: %s %s %v vs %s %s %v", i, h.Name, h.DType, h.Shape, f.Name, f.DType, f.Shape)
		}
		for j := range h.Data {
			if d := math.Abs(float64(h.Data[j] - f.Data[j])); d > math.Abs(float64(f.Data[j]))/1024+1e-7 {
				t.Fatalf("%s[%d]: half %g, float %g", h.Name, j, h.Data[j], f.Data[j])
			}
		}
	}
	if _, err := taesd.DecoderONNX(f16); err != nil {
		t.Errorf("half weights: %v", err)
	}
}

func TestLayoutErrorsNameTheTensors(t *testing.T) {
	sd, err := torchfile.Read(bytes.NewReader(readFixture(t, "decoder-w8.pth")), int64(len(readFixture(t, "decoder-w8.pth"))))
	if err != nil {
		t.Fatal(err)
	}
	sd.Tensors = slices.DeleteFunc(sd.Tensors, func(t *torchfile.Tensor) bool { return t.Name == "13.conv.2.bias" })
	sd.Get("19.weight").Shape = []int{4, 8, 3, 3}
	sd.Tensors = append(sd.Tensors, &torchfile.Tensor{Name: "3.skip.weight", Shape: []int{8, 8, 1, 1}, Data: make([]float32, 64)})
	_, err = taesd.DecoderONNX(sd)
	var le *taesd.LayoutError
	if !errors.As(err, &le) || !errors.Is(err, taesd.ErrLayout) {
		t.Fatalf("got %v, want a LayoutError", err)
	}
	want := []string{`"19.weight" has shape [4 8 3 3], want [3 8 3 3]`, `missing tensor "13.conv.2.bias"`, `unexpected tensor "3.skip.weight"`}
	if !slices.Equal(le.Problems, want) {
		t.Errorf("problems %q, want %q", le.Problems, want)
	}
	if _, err := taesd.DecoderONNX(&torchfile.StateDict{}); !errors.Is(err, taesd.ErrLayout) {
		t.Errorf("empty state dict: %v", err)
	}
	if _, err := taesd.ConvertDecoder([]byte("not a zip")); !errors.Is(err, torchfile.ErrNotTorchZip) {
		t.Errorf("not a zip: %v", err)
	}
}

// The converted file's size depends only on the layer shapes, so the
// manifest can pin the published decoder's exact ONNX size without its
// weights: a width-64 state dict of zeros converts to exactly that many bytes.
func TestManifestPinsTheConvertedSize(t *testing.T) {
	m, err := models.Lookup("sd-turbo")
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for _, v := range m.Variants {
		for _, f := range v.Files {
			if f.Role == "tiny_decoder" {
				if f.Source == nil || f.Source.Convert != "taesd-decoder" || f.BytesEstimated {
					t.Fatalf("tiny decoder entry %+v", f)
				}
				sizes = append(sizes, f.Bytes)
			}
		}
	}
	if len(sizes) != len(m.Variants) {
		t.Fatalf("%d variants list a tiny decoder, want all %d", len(sizes), len(m.Variants))
	}
	onnx, err := taesd.DecoderONNX(zeroDecoder(64))
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range sizes {
		if size != int64(len(onnx)) {
			t.Errorf("manifest says %d bytes, the converter writes %d", size, len(onnx))
		}
	}
	if !strings.Contains(string(onnx), "width 64") {
		t.Error("the model's doc string does not name its width")
	}
}

// zeroDecoder is a state dict of the decoder's layout at the given width.
func zeroDecoder(width int) *torchfile.StateDict {
	sd := &torchfile.StateDict{}
	for name, shape := range taesd.ExpectedShapes(width) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		sd.Tensors = append(sd.Tensors, &torchfile.Tensor{Name: name, Shape: shape, DType: torchfile.Float32, Data: make([]float32, n)})
	}
	return sd
}
