package taesd

import (
	"bytes"
	"fmt"

	"hybridgen/internal/onnxwrite"
	"hybridgen/internal/torchfile"
)

// The encoder is one nn.Sequential (taesd.py's Encoder): conv(3, C),
// Block, then three times a stride-2 conv(C, C, bias=False) and three
// Blocks, then conv(C, 4). These are the indices of its layers.
var (
	encoderBlocks      = []int{1, 3, 4, 5, 7, 8, 9, 11, 12, 13}
	encoderDownsamples = []int{2, 6, 10} // conv(C, C, stride=2, bias=False)
)

const (
	encoderFirstConv = 0  // conv(3, C)
	encoderLastConv  = 14 // conv(C, 4)
)

// ConvertEncoder reads a torch.save zip of the TAESD encoder and returns the
// ONNX model's bytes. Errors wrap torchfile's errors or [ErrLayout].
func ConvertEncoder(pth []byte) ([]byte, error) {
	sd, err := torchfile.Read(bytes.NewReader(pth), int64(len(pth)))
	if err != nil {
		return nil, fmt.Errorf("taesd: read encoder weights: %w", err)
	}
	return EncoderONNX(sd)
}

// EncoderONNX checks sd against the encoder's layout and builds the graph:
// input `sample` float32 [1, 3, height, width] (RGB in [0, 1], TAESD's
// convention), output `latent_sample` float32 [1, 4, height/8, width/8]
// (latents as the UNet sees them: no 0.18215 scaling). Ops: Conv, Relu, Add.
func EncoderONNX(sd *torchfile.StateDict) ([]byte, error) {
	width, err := checkLayoutOf(sd, "encoder", fmt.Sprintf("%d.weight", encoderFirstConv), 3, EncoderExpectedShapes)
	if err != nil {
		return nil, err
	}
	return buildEncoder(sd, width).Marshal(), nil
}

// EncoderExpectedShapes is every key of an encoder of the given width, with
// its shape.
func EncoderExpectedShapes(width int) map[string][]int {
	conv := func(out, in int) []int { return []int{out, in, 3, 3} }
	want := map[string][]int{
		fmt.Sprintf("%d.weight", encoderFirstConv): conv(width, 3),
		fmt.Sprintf("%d.bias", encoderFirstConv):   {width},
		fmt.Sprintf("%d.weight", encoderLastConv):  conv(LatentChannels, width),
		fmt.Sprintf("%d.bias", encoderLastConv):    {LatentChannels},
	}
	addBlocks(want, encoderBlocks, width)
	for _, i := range encoderDownsamples {
		want[fmt.Sprintf("%d.weight", i)] = conv(width, width)
	}
	return want
}

// buildEncoder lays out the encoder's nn.Sequential as ONNX nodes.
func buildEncoder(sd *torchfile.StateDict, width int) *onnxwrite.Model {
	b := &builder{sd: sd, graph: onnxwrite.Graph{Name: "taesd_encoder"}}
	x := b.conv(ImageInput, fmt.Sprint(encoderFirstConv), true)
	x = b.block(x, encoderBlocks[0])
	for group, down := range encoderDownsamples {
		x = b.convStride(x, fmt.Sprint(down), false, 2)
		for _, i := range encoderBlocks[1+3*group : 4+3*group] {
			x = b.block(x, i)
		}
	}
	x = b.conv(x, fmt.Sprint(encoderLastConv), true)
	b.graph.Nodes = append(b.graph.Nodes, onnxwrite.Node{Name: "Identity_out", OpType: "Identity", Inputs: []string{x}, Outputs: []string{LatentOutput}})

	b.graph.Inputs = []onnxwrite.ValueInfo{{Name: ImageInput, ElemType: onnxwrite.Float, Dims: []onnxwrite.Dim{
		{Value: 1}, {Value: 3}, {Param: HeightOut}, {Param: WidthOut},
	}}}
	b.graph.Outputs = []onnxwrite.ValueInfo{{Name: LatentOutput, ElemType: onnxwrite.Float, Dims: []onnxwrite.Dim{
		{Value: 1}, {Value: LatentChannels}, {Param: HeightLatent}, {Param: WidthLatent},
	}}}
	return &onnxwrite.Model{
		IRVersion: irVersion, Opset: opset, ProducerName: "hybridgen",
		DocString: fmt.Sprintf("TAESD encoder (madebyollin/taesd, MIT), width %d, converted by hybridgen: sample is RGB in [0, 1]; latent_sample is unscaled (the UNet's latents as they are)", width),
		Graph:     b.graph,
	}
}
