package taesd_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"hybridgen/internal/taesd"
	"hybridgen/internal/torchfile"
	"hybridgen/models"
)

// The encoder has no torch fixture (python3-torch is not on every machine):
// its converted graph is checked against a plain Go forward pass of
// taesd.py's Encoder (nested loops, written from the layer list), on seeded
// random weights of width 8 and a 24x40 image.

type chw struct {
	c, h, w int
	v       []float32
}

// conv3 is nn.Conv2d(k=3, padding=1, stride) with optional bias.
func conv3(x chw, sd *torchfile.StateDict, prefix string, bias bool, stride int) chw {
	wt := sd.Get(prefix + ".weight")
	out := chw{c: wt.Shape[0], h: (x.h-1)/stride + 1, w: (x.w-1)/stride + 1}
	out.v = make([]float32, out.c*out.h*out.w)
	for o := 0; o < out.c; o++ {
		for y := 0; y < out.h; y++ {
			for xx := 0; xx < out.w; xx++ {
				var s float64
				if bias {
					s = float64(sd.Get(prefix + ".bias").Data[o])
				}
				for c := 0; c < x.c; c++ {
					for ky := 0; ky < 3; ky++ {
						for kx := 0; kx < 3; kx++ {
							iy, ix := y*stride+ky-1, xx*stride+kx-1
							if iy < 0 || ix < 0 || iy >= x.h || ix >= x.w {
								continue
							}
							s += float64(wt.Data[((o*x.c+c)*3+ky)*3+kx]) * float64(x.v[(c*x.h+iy)*x.w+ix])
						}
					}
				}
				out.v[(o*out.h+y)*out.w+xx] = float32(s)
			}
		}
	}
	return out
}

func relu(x chw) chw {
	out := x
	out.v = make([]float32, len(x.v))
	for i, v := range x.v {
		out.v[i] = max(v, 0)
	}
	return out
}

func block(x chw, sd *torchfile.StateDict, i int) chw {
	h := relu(conv3(x, sd, layer(i, 0), true, 1))
	h = relu(conv3(h, sd, layer(i, 2), true, 1))
	h = conv3(h, sd, layer(i, 4), true, 1)
	for j := range h.v {
		h.v[j] += x.v[j]
	}
	return relu(h)
}

func layer(i, j int) string { return fmt.Sprintf("%d.conv.%d", i, j) }
func itoa(i int) string     { return fmt.Sprint(i) }

// referenceEncoder is taesd.py's Encoder, layer by layer.
func referenceEncoder(x chw, sd *torchfile.StateDict) chw {
	x = conv3(x, sd, "0", true, 1)
	x = block(x, sd, 1)
	for _, g := range [][]int{{2, 3, 4, 5}, {6, 7, 8, 9}, {10, 11, 12, 13}} {
		x = conv3(x, sd, itoa(g[0]), false, 2)
		for _, i := range g[1:] {
			x = block(x, sd, i)
		}
	}
	return conv3(x, sd, "14", true, 1)
}

// randomEncoder is an encoder state dict with He-scaled seeded weights.
func randomEncoder(width int, seed uint64) *torchfile.StateDict {
	r := rand.New(rand.NewPCG(seed, 1))
	sd := zeroState(taesd.EncoderExpectedShapes(width))
	for _, t := range sd.Tensors {
		fanIn := 1
		if len(t.Shape) == 4 {
			fanIn = t.Shape[1] * 9
		}
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64() * math.Sqrt(2/float64(fanIn)))
		}
	}
	return sd
}

func zeroState(shapes map[string][]int) *torchfile.StateDict {
	sd := &torchfile.StateDict{}
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		n := 1
		for _, d := range shapes[name] {
			n *= d
		}
		sd.Tensors = append(sd.Tensors, &torchfile.Tensor{Name: name, Shape: shapes[name], DType: torchfile.Float32, Data: make([]float32, n)})
	}
	return sd
}

func TestConvertedEncoderMatchesTheLayerList(t *testing.T) {
	sd := randomEncoder(8, 20261203)
	onnx, err := taesd.EncoderONNX(sd)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	img := chw{c: 3, h: 24, w: 40, v: make([]float32, 3*24*40)}
	for i := range img.v {
		img.v[i] = r.Float32()
	}
	want := referenceEncoder(img, sd)
	ref := map[string]any{
		"inputName": taesd.ImageInput, "input": img.v, "inputShape": []int{1, 3, 24, 40},
		"outputName": taesd.LatentOutput, "output": want.v,
	}
	refPath := filepath.Join(t.TempDir(), "reference.json")
	b, err := json.Marshal(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(refPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res := runModelWithORT(t, onnx, refPath)
	t.Logf("%d bytes; max |onnx - reference| = %g over %v, latents in [%g, %g]", len(onnx), res.MaxAbsDiff, res.Dims, res.Min, res.Max)
	if !slices.Equal(res.Dims, []int{1, 4, 3, 5}) {
		t.Errorf("latent dims %v, want [1 4 3 5] (an eighth of 24x40)", res.Dims)
	}
	if !slices.Equal(res.Inputs, []string{"sample"}) || !slices.Equal(res.Outputs, []string{"latent_sample"}) {
		t.Errorf("graph I/O %v -> %v", res.Inputs, res.Outputs)
	}
	if res.MaxAbsDiff > 1e-4 || res.Max-res.Min < 0.1 {
		t.Errorf("max |onnx - reference| = %g (want <= 1e-4) over a range of %g", res.MaxAbsDiff, res.Max-res.Min)
	}
}

func TestEncoderLayoutErrors(t *testing.T) {
	sd := randomEncoder(8, 1)
	sd.Get("14.weight").Shape = []int{3, 8, 3, 3}
	_, err := taesd.EncoderONNX(sd)
	var le *taesd.LayoutError
	if !errors.As(err, &le) || le.Part != "encoder" || !slices.Equal(le.Problems, []string{`"14.weight" has shape [3 8 3 3], want [4 8 3 3]`}) {
		t.Fatalf("got %v", err)
	}
	// A decoder's state dict is not an encoder's.
	if _, err := taesd.EncoderONNX(zeroDecoder(8)); !errors.Is(err, taesd.ErrLayout) {
		t.Errorf("decoder weights: %v", err)
	}
}

// As for the decoder, the manifest pins the converted encoder's exact size.
func TestManifestPinsTheConvertedEncoderSize(t *testing.T) {
	m, err := models.Lookup("sd-turbo")
	if err != nil {
		t.Fatal(err)
	}
	onnx, err := taesd.EncoderONNX(zeroState(taesd.EncoderExpectedShapes(64)))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, v := range m.Variants {
		for _, f := range v.Files {
			if f.Role != "tiny_encoder" {
				continue
			}
			found++
			if f.Source == nil || f.Source.Convert != "taesd-encoder" || f.Bytes != int64(len(onnx)) {
				t.Errorf("tiny encoder entry %+v; the converter writes %d bytes", f, len(onnx))
			}
		}
	}
	if found != len(m.Variants) {
		t.Errorf("%d variants list a tiny encoder, want all %d", found, len(m.Variants))
	}
}
