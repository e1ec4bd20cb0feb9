package tfjs_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hybridgen/internal/tfjs"
)

// A small functional model with every converted layer kind:
// LR -> A = relu(conv3x3(LR, 3->4)); B = conv1x1(A, 4->4) + A;
// C = concat(A, B) (8 ch); U = upsample2x(C); SR = conv3x3(U, 8->3).
// The input is 5 high and 4 wide, so a swapped axis shows.
const (
	testH, testW = 5, 4
)

type spec struct {
	name       string
	class      string
	config     map[string]any
	inbound    []string
	kernel     []int64 // [kh, kw, in, out] for Conv2D
	activation string
}

var testLayers = []spec{
	{name: "LR", class: "InputLayer", config: map[string]any{"batch_input_shape": []any{nil, nil, nil, 3}}},
	{name: "A", class: "Conv2D", inbound: []string{"LR"}, kernel: []int64{3, 3, 3, 4}, activation: "relu"},
	{name: "B1", class: "Conv2D", inbound: []string{"A"}, kernel: []int64{1, 1, 4, 4}, activation: "linear"},
	{name: "B", class: "Add", inbound: []string{"B1", "A"}},
	{name: "C", class: "Concatenate", inbound: []string{"A", "B"}, config: map[string]any{"axis": 3}},
	{name: "U", class: "UpSampling2D", inbound: []string{"C"}, config: map[string]any{"size": []int{2, 2}, "interpolation": "nearest", "data_format": "channels_last"}},
	{name: "SR", class: "Conv2D", inbound: []string{"U"}, kernel: []int64{3, 3, 8, 3}, activation: "linear"},
}

// weightValue is a deterministic, varied weight value.
func weightValue(seed, i int) float32 {
	return float32(math.Sin(float64(seed*131+i)*0.7)) * 0.5
}

// buildModel returns model.json and its one shard, and the weights by name.
func buildModel(t *testing.T) (map[string][]byte, map[string][]float32) {
	t.Helper()
	var layers []any
	var manifest []any
	var shard []byte
	weights := map[string][]float32{}
	add := func(name string, shape []int64, seed int) {
		n := int64(1)
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = weightValue(seed, i)
			shard = binary.LittleEndian.AppendUint32(shard, math.Float32bits(v[i]))
		}
		weights[name] = v
		manifest = append(manifest, map[string]any{"name": name, "shape": shape, "dtype": "float32"})
	}
	for i, l := range testLayers {
		cfg := map[string]any{"name": l.name}
		for k, v := range l.config {
			cfg[k] = v
		}
		if l.class == "Conv2D" {
			padding := "same"
			if l.kernel[0] == 1 {
				padding = "valid"
			}
			cfg["filters"], cfg["kernel_size"], cfg["strides"], cfg["padding"] = l.kernel[3], l.kernel[:2], []int{1, 1}, padding
			cfg["activation"], cfg["use_bias"], cfg["data_format"], cfg["dilation_rate"] = l.activation, true, "channels_last", []int{1, 1}
			add(l.name+"/kernel", l.kernel, i)
			add(l.name+"/bias", l.kernel[3:], 100+i)
		}
		var refs []any
		for _, in := range l.inbound {
			refs = append(refs, []any{in, 0, 0, map[string]any{}})
		}
		inbound := []any{}
		if refs != nil {
			inbound = []any{refs}
		}
		layers = append(layers, map[string]any{"class_name": l.class, "name": l.name, "config": cfg, "inbound_nodes": inbound})
	}
	model := map[string]any{
		"format": "layers-model",
		"modelTopology": map[string]any{"model_config": map[string]any{"class_name": "Functional", "config": map[string]any{
			"layers": layers, "input_layers": []any{[]any{"LR", 0, 0}}, "output_layers": []any{[]any{"SR", 0, 0}},
		}}},
		"weightsManifest": []any{map[string]any{"paths": []string{"group1-shard1of1.bin"}, "weights": manifest}},
	}
	raw, err := json.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"model.json": raw, "group1-shard1of1.bin": shard}, weights
}

// tensor is an NHWC image of one batch.
type tensor struct {
	h, w, c int
	v       []float32
}

func (x tensor) at(y, i, ch int) float32 {
	if y < 0 || i < 0 || y >= x.h || i >= x.w {
		return 0
	}
	return x.v[(y*x.w+i)*x.c+ch]
}

// conv is Keras' Conv2D, same padding, straight from its definition.
func conv(x tensor, kernel, bias []float32, k []int64, relu bool) tensor {
	kh, kw, cout := int(k[0]), int(k[1]), int(k[3])
	out := tensor{x.h, x.w, cout, make([]float32, x.h*x.w*cout)}
	for y := range x.h {
		for i := range x.w {
			for o := range cout {
				s := bias[o]
				for dy := range kh {
					for dx := range kw {
						for c := range x.c {
							s += x.at(y+dy-kh/2, i+dx-kw/2, c) * kernel[((dy*kw+dx)*x.c+c)*cout+o]
						}
					}
				}
				if relu && s < 0 {
					s = 0
				}
				out.v[(y*x.w+i)*cout+o] = s
			}
		}
	}
	return out
}

func reference(in tensor, w map[string][]float32) tensor {
	a := conv(in, w["A/kernel"], w["A/bias"], testLayers[1].kernel, true)
	b := conv(a, w["B1/kernel"], w["B1/bias"], testLayers[2].kernel, false)
	for i := range b.v {
		b.v[i] += a.v[i]
	}
	c := tensor{a.h, a.w, 8, make([]float32, a.h*a.w*8)}
	u := tensor{2 * a.h, 2 * a.w, 8, make([]float32, 4*a.h*a.w*8)}
	for p := range a.h * a.w {
		copy(c.v[p*8:], a.v[p*4:p*4+4])
		copy(c.v[p*8+4:], b.v[p*4:p*4+4])
	}
	for y := range u.h {
		for i := range u.w {
			copy(u.v[(y*u.w+i)*8:], c.v[((y/2)*c.w+i/2)*8:((y/2)*c.w+i/2)*8+8])
		}
	}
	return conv(u, w["SR/kernel"], w["SR/bias"], testLayers[6].kernel, false)
}

func TestConvertLayersModelMatchesKerasSemantics(t *testing.T) {
	files, weights := buildModel(t)
	onnx, err := tfjs.ConvertLayersModel(files, 2, "test")
	if err != nil {
		t.Fatal(err)
	}
	in := tensor{testH, testW, 3, make([]float32, testH*testW*3)}
	nchw := make([]float32, len(in.v))
	for i := range in.v {
		in.v[i] = float32(i%7) * 30
	}
	for p := range testH * testW {
		for c := range 3 {
			nchw[c*testH*testW+p] = in.v[p*3+c]
		}
	}
	got := runONNX(t, onnx, []int{1, 3, testH, testW}, nchw)
	want := reference(in, weights)
	if got.Dims[2] != 2*testH || got.Dims[3] != 2*testW || got.Dims[1] != 3 {
		t.Fatalf("dims %v, want [1 3 %d %d]", got.Dims, 2*testH, 2*testW)
	}
	var maxDiff float64
	for p := range want.h * want.w {
		for c := range 3 {
			d := math.Abs(float64(got.Data[c*want.h*want.w+p] - want.v[p*3+c]))
			maxDiff = max(maxDiff, d)
		}
	}
	if maxDiff > 1e-3 {
		t.Fatalf("max |onnx - keras| = %g, want <= 1e-3", maxDiff)
	}
}

type onnxOutput struct {
	Dims []int     `json:"dims"`
	Data []float32 `json:"data"`
}

// runONNX runs the model with onnxruntime-node (web/node_modules, installed by `make deps`).
func runONNX(t *testing.T, onnx []byte, dims []int, data []float32) onnxOutput {
	t.Helper()
	dir := t.TempDir()
	model, input := filepath.Join(dir, "model.onnx"), filepath.Join(dir, "input.json")
	raw, _ := json.Marshal(map[string]any{"dims": dims, "data": data})
	if err := os.WriteFile(model, onnx, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", "testdata/run-onnx.mjs", model, input).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("onnxruntime-node: %v\n%s", err, exit.Stderr)
		}
		t.Fatal(err)
	}
	var res onnxOutput
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestConvertLayersModelRefuses(t *testing.T) {
	cases := map[string]struct {
		edit  func(files map[string][]byte)
		scale int64
		want  error
	}{
		"wrong scale":    {func(map[string][]byte) {}, 4, tfjs.ErrModel},
		"missing shard":  {func(f map[string][]byte) { delete(f, "group1-shard1of1.bin") }, 2, tfjs.ErrMissing},
		"short shard":    {func(f map[string][]byte) { f["group1-shard1of1.bin"] = f["group1-shard1of1.bin"][:40] }, 2, tfjs.ErrModel},
		"unknown layer":  {func(f map[string][]byte) { replace(f, `"Add"`, `"Multiply"`) }, 2, tfjs.ErrUnsupported},
		"strided conv":   {func(f map[string][]byte) { replace(f, `"strides":[1,1]`, `"strides":[2,2]`) }, 2, tfjs.ErrUnsupported},
		"quantized":      {func(f map[string][]byte) { replace(f, `"dtype":"float32"`, `"dtype":"uint8"`) }, 2, tfjs.ErrUnsupported},
		"graph model":    {func(f map[string][]byte) { replace(f, `"layers-model"`, `"graph-model"`) }, 2, tfjs.ErrUnsupported},
		"no model.json":  {func(f map[string][]byte) { delete(f, "model.json") }, 2, tfjs.ErrMissing},
		"sigmoid output": {func(f map[string][]byte) { replace(f, `"relu"`, `"sigmoid"`) }, 2, tfjs.ErrUnsupported},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			files, _ := buildModel(t)
			c.edit(files)
			if _, err := tfjs.ConvertLayersModel(files, c.scale, "test"); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func replace(files map[string][]byte, old, repl string) {
	files["model.json"] = []byte(strings.Replace(string(files["model.json"]), old, repl, 1))
}

func TestReadTarballKeepsOnlyThePrefix(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{"package/models/x2/model.json": "{}", "package/models/x4/model.json": "[]", "package/README.md": "hi"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := tfjs.ReadTarball(buf.Bytes(), "package/models/x2/")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || string(files["model.json"]) != "{}" {
		t.Fatalf("files = %v", files)
	}
	if _, err := tfjs.ReadTarball([]byte("not gzip"), ""); !errors.Is(err, tfjs.ErrTarball) {
		t.Fatalf("err = %v, want ErrTarball", err)
	}
}
