// Package taesd turns the published TAESD decoder (madebyollin/taesd, MIT:
// a tiny decoder for Stable Diffusion 1.x/2.x latents) from its PyTorch
// state dict into an ONNX graph, so the browser can decode drafts in a few
// milliseconds instead of running the full VAE decoder.
//
// The graph: input `latent_sample` float32 [1, 4, height_latent,
// width_latent] (the UNet's x0 as it is: TAESD's latent scale factor is 1,
// no division by 0.18215), output `sample` float32 [1, 3, height, width]
// (8x the latent size) clipped to [0, 1] (not [-1, 1] like the VAE). Ops
// (opset 17): Mul, Tanh (TAESD's soft clamp tanh(x/3)*3), Conv, Relu, Add,
// Resize (nearest, as torch's nn.Upsample), Clip. Weights stay float32 in
// every variant. The width of the layers is read from the state dict (64
// in the published file), so tests can use narrow fixtures.
//
// Tests run the converted graph in onnxruntime-node (web/node_modules) against
// torch's output on fixtures that testdata/gen.py writes with Debian's
// python3-torch: `/usr/bin/python3 internal/taesd/testdata/gen.py`.
//
// Entry points: [ConvertDecoder], [DecoderONNX].
package taesd

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"hybridgen/internal/torchfile"
)

// LatentChannels is the channel count of SD 1.x/2.x latents.
const LatentChannels = 4

// Symbolic dimension names of the graph, the same as the VAE decoder's
// in the published SD ONNX files.
const (
	HeightLatent = "height_latent"
	WidthLatent  = "width_latent"
	HeightOut    = "height"
	WidthOut     = "width"
)

// Tensor names of the encoder's graph, the same as the VAE encoder's in
// optimum's SD exports (the decoder takes LatentOutput as its input).
const (
	ImageInput   = "sample"
	LatentOutput = "latent_sample"
)

// ErrLayout is wrapped by [*LayoutError].
var ErrLayout = errors.New("taesd: not a TAESD state dict")

// LayoutError lists how a state dict differs from the TAESD decoder's (or
// encoder's) keys and shapes.
type LayoutError struct {
	// Part is "decoder" or "encoder".
	Part     string
	Problems []string
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("taesd: not a TAESD %s state dict: %s", e.Part, strings.Join(e.Problems, "; "))
}

// Unwrap makes the error match [ErrLayout].
func (e *LayoutError) Unwrap() error { return ErrLayout }

// The decoder is one nn.Sequential; these are the indices of its layers
// that hold weights (the others are Clamp, ReLU and Upsample).
var (
	blockIndices      = []int{3, 4, 5, 8, 9, 10, 13, 14, 15, 18}
	upsampleConvIndex = []int{7, 12, 17} // conv(64, 64, bias=False) after each 2x upsample
)

const (
	firstConv = 1  // conv(4, C)
	lastConv  = 19 // conv(C, 3)
)

// ConvertDecoder reads a torch.save zip of the TAESD decoder and returns the
// ONNX model's bytes. Errors wrap torchfile's errors or [ErrLayout].
func ConvertDecoder(pth []byte) ([]byte, error) {
	sd, err := torchfile.Read(bytes.NewReader(pth), int64(len(pth)))
	if err != nil {
		return nil, fmt.Errorf("taesd: read decoder weights: %w", err)
	}
	return DecoderONNX(sd)
}

// DecoderONNX checks sd against the decoder's layout and builds the graph.
func DecoderONNX(sd *torchfile.StateDict) ([]byte, error) {
	width, err := checkLayoutOf(sd, "decoder", fmt.Sprintf("%d.weight", firstConv), LatentChannels, ExpectedShapes)
	if err != nil {
		return nil, err
	}
	return buildDecoder(sd, width).Marshal(), nil
}

// ExpectedShapes is every key of a decoder of the given width, with its shape.
func ExpectedShapes(width int) map[string][]int {
	conv := func(out, in int) []int { return []int{out, in, 3, 3} }
	want := map[string][]int{
		fmt.Sprintf("%d.weight", firstConv): conv(width, LatentChannels),
		fmt.Sprintf("%d.bias", firstConv):   {width},
		fmt.Sprintf("%d.weight", lastConv):  conv(3, width),
		fmt.Sprintf("%d.bias", lastConv):    {3},
	}
	addBlocks(want, blockIndices, width)
	for _, i := range upsampleConvIndex {
		want[fmt.Sprintf("%d.weight", i)] = conv(width, width)
	}
	return want
}

// addBlocks adds the keys of TAESD Blocks (three 3x3 convs with bias,
// width in and out) at the given layer indices.
func addBlocks(want map[string][]int, indices []int, width int) {
	for _, i := range indices {
		for _, j := range []int{0, 2, 4} {
			want[fmt.Sprintf("%d.conv.%d.weight", i, j)] = []int{width, width, 3, 3}
			want[fmt.Sprintf("%d.conv.%d.bias", i, j)] = []int{width}
		}
	}
}

// checkLayoutOf returns the width read from the first conv's weight (key
// first, inChannels inputs), or a *LayoutError listing every missing,
// unexpected or misshapen tensor against expected(width).
func checkLayoutOf(sd *torchfile.StateDict, part, first string, inChannels int, expected func(int) map[string][]int) (int, error) {
	w := sd.Get(first)
	if w == nil || len(w.Shape) != 4 || w.Shape[0] <= 0 {
		return 0, &LayoutError{Part: part, Problems: []string{fmt.Sprintf("no %s of shape [C, %d, 3, 3]", first, inChannels)}}
	}
	width := w.Shape[0]
	want := expected(width)
	var problems []string
	for _, t := range sd.Tensors {
		shape, ok := want[t.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("unexpected tensor %q", t.Name))
		case !slices.Equal(shape, t.Shape):
			problems = append(problems, fmt.Sprintf("%q has shape %v, want %v", t.Name, t.Shape, shape))
		}
	}
	for name := range want {
		if sd.Get(name) == nil {
			problems = append(problems, fmt.Sprintf("missing tensor %q", name))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return 0, &LayoutError{Part: part, Problems: problems}
	}
	return width, nil
}
