package taesd

import (
	"fmt"

	"hybridgen/internal/onnxwrite"
	"hybridgen/internal/torchfile"
)

// Versions written into the model: IR 8 goes with opset 17, as in the
// test models and the published SD ONNX files.
const (
	irVersion = 8
	opset     = 17
)

// builder appends nodes with deterministic names.
type builder struct {
	sd    *torchfile.StateDict
	graph onnxwrite.Graph
	count int
}

func (b *builder) op(opType string, inputs []string, attrs ...onnxwrite.Attr) string {
	b.count++
	out := fmt.Sprintf("%s_%d", opType, b.count)
	b.graph.Nodes = append(b.graph.Nodes, onnxwrite.Node{
		Name: out, OpType: opType, Inputs: inputs, Outputs: []string{out}, Attrs: attrs,
	})
	return out
}

// weight adds the state dict's tensor as an initializer under its own name.
func (b *builder) weight(name string) string {
	t := b.sd.Get(name)
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = int64(d)
	}
	b.graph.Initializers = append(b.graph.Initializers, onnxwrite.FloatTensor(name, dims, t.Data))
	return name
}

func (b *builder) constant(name string, dims []int64, values ...float32) string {
	b.graph.Initializers = append(b.graph.Initializers, onnxwrite.FloatTensor(name, dims, values))
	return name
}

// conv is a 3x3 convolution with padding 1 of layer `prefix` (bias optional).
func (b *builder) conv(x, prefix string, bias bool) string {
	return b.convStride(x, prefix, bias, 1)
}

// convStride is conv with the given stride (TAESD's encoder downsamples
// with stride-2 convs).
func (b *builder) convStride(x, prefix string, bias bool, stride int64) string {
	inputs := []string{x, b.weight(prefix + ".weight")}
	if bias {
		inputs = append(inputs, b.weight(prefix+".bias"))
	}
	return b.op("Conv", inputs,
		onnxwrite.Ints("dilations", 1, 1), onnxwrite.Int("group", 1), onnxwrite.Ints("kernel_shape", 3, 3),
		onnxwrite.Ints("pads", 1, 1, 1, 1), onnxwrite.Ints("strides", stride, stride))
}

// block is TAESD's residual Block(C, C): relu(conv(relu(conv(relu(conv(x))))) + x).
func (b *builder) block(x string, index int) string {
	h := x
	for j, k := range []int{0, 2, 4} {
		h = b.conv(h, fmt.Sprintf("%d.conv.%d", index, k), true)
		if j < 2 {
			h = b.op("Relu", []string{h})
		}
	}
	return b.op("Relu", []string{b.op("Add", []string{h, x})})
}

// upsample is nn.Upsample(scale_factor=2) (nearest) as torch exports it.
func (b *builder) upsample(x string, scales string) string {
	return b.op("Resize", []string{x, "", scales},
		onnxwrite.String("coordinate_transformation_mode", "asymmetric"),
		onnxwrite.String("mode", "nearest"), onnxwrite.String("nearest_mode", "floor"))
}

// buildDecoder lays out the decoder's nn.Sequential as ONNX nodes.
func buildDecoder(sd *torchfile.StateDict, width int) *onnxwrite.Model {
	b := &builder{sd: sd, graph: onnxwrite.Graph{Name: "taesd_decoder"}}
	third := b.constant("clamp.scale_in", nil, 1.0/3)
	three := b.constant("clamp.scale_out", nil, 3)
	scales := b.constant("upsample.scales", []int64{4}, 1, 1, 2, 2)
	low := b.constant("clip.min", nil, 0)
	high := b.constant("clip.max", nil, 1)

	x := b.op("Mul", []string{b.op("Tanh", []string{b.op("Mul", []string{"latent_sample", third})}), three})
	x = b.op("Relu", []string{b.conv(x, fmt.Sprint(firstConv), true)})
	for group, up := range upsampleConvIndex {
		for _, i := range blockIndices[3*group : 3*group+3] {
			x = b.block(x, i)
		}
		x = b.conv(b.upsample(x, scales), fmt.Sprint(up), false)
	}
	x = b.block(x, blockIndices[len(blockIndices)-1])
	x = b.conv(x, fmt.Sprint(lastConv), true)
	b.graph.Nodes = append(b.graph.Nodes, onnxwrite.Node{Name: "Clip_out", OpType: "Clip", Inputs: []string{x, low, high}, Outputs: []string{"sample"}})

	b.graph.Inputs = []onnxwrite.ValueInfo{{Name: "latent_sample", ElemType: onnxwrite.Float, Dims: []onnxwrite.Dim{
		{Value: 1}, {Value: LatentChannels}, {Param: HeightLatent}, {Param: WidthLatent},
	}}}
	b.graph.Outputs = []onnxwrite.ValueInfo{{Name: "sample", ElemType: onnxwrite.Float, Dims: []onnxwrite.Dim{
		{Value: 1}, {Value: 3}, {Param: HeightOut}, {Param: WidthOut},
	}}}
	return &onnxwrite.Model{
		IRVersion: irVersion, Opset: opset, ProducerName: "hybridgen",
		DocString: fmt.Sprintf("TAESD decoder (madebyollin/taesd, MIT), width %d, converted by hybridgen: latent_sample is the UNet's x0 unscaled; sample is RGB in [0, 1]", width),
		Graph:     b.graph,
	}
}
