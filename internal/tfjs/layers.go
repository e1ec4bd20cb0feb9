package tfjs

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"hybridgen/internal/onnxwrite"
)

// Names of the converted graph's input and output and of their symbolic
// dimensions.
const (
	InputName  = "image"
	OutputName = "upscaled"
)

// modelJSON is the part of a TF.js model.json this package reads.
type modelJSON struct {
	Format        string `json:"format"`
	ModelTopology struct {
		ModelConfig struct {
			ClassName string `json:"class_name"`
			Config    struct {
				Layers       []layer `json:"layers"`
				InputLayers  [][]any `json:"input_layers"`
				OutputLayers [][]any `json:"output_layers"`
			} `json:"config"`
		} `json:"model_config"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string `json:"paths"`
		Weights []struct {
			Name         string          `json:"name"`
			Shape        []int64         `json:"shape"`
			DType        string          `json:"dtype"`
			Quantization json.RawMessage `json:"quantization"`
		} `json:"weights"`
	} `json:"weightsManifest"`
}

// layer is one Keras layer of a functional model.
type layer struct {
	ClassName    string      `json:"class_name"`
	Name         string      `json:"name"`
	Config       layerConfig `json:"config"`
	InboundNodes [][][]any   `json:"inbound_nodes"`
}

type layerConfig struct {
	Filters      int64   `json:"filters"`
	KernelSize   []int64 `json:"kernel_size"`
	Strides      []int64 `json:"strides"`
	Padding      string  `json:"padding"`
	DataFormat   string  `json:"data_format"`
	DilationRate []int64 `json:"dilation_rate"`
	Activation   string  `json:"activation"`
	UseBias      *bool   `json:"use_bias"`
	Axis         *int64  `json:"axis"`
	Size         []int64 `json:"size"`
	Interp       string  `json:"interpolation"`
}

// weight is one named float32 tensor of the weights manifest.
type weight struct {
	shape []int64
	data  []float32
}

// ConvertLayersModel converts the Keras layers model in files (model.json
// and its shards, keyed by their path relative to model.json) into ONNX.
// scale is the upscaling factor the model must have (checked against its
// UpSampling2D layers); doc goes into the model's doc string.
func ConvertLayersModel(files map[string][]byte, scale int64, doc string) ([]byte, error) {
	raw, ok := files["model.json"]
	if !ok {
		return nil, fmt.Errorf("%w: model.json", ErrMissing)
	}
	var m modelJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: model.json: %w", ErrModel, err)
	}
	if m.Format != "layers-model" {
		return nil, fmt.Errorf("%w: format %q, want layers-model", ErrUnsupported, m.Format)
	}
	weights, err := readWeights(&m, files)
	if err != nil {
		return nil, err
	}
	b := &graphBuilder{weights: weights, graph: onnxwrite.Graph{Name: "tfjs_layers"}}
	if err := b.layers(m.ModelTopology.ModelConfig.Config.Layers); err != nil {
		return nil, err
	}
	if b.scale != scale {
		return nil, fmt.Errorf("%w: the model upsamples %dx, want %dx", ErrModel, b.scale, scale)
	}
	outs := m.ModelTopology.ModelConfig.Config.OutputLayers
	if len(outs) != 1 || len(outs[0]) == 0 {
		return nil, fmt.Errorf("%w: want one output layer, got %v", ErrUnsupported, outs)
	}
	last, _ := outs[0][0].(string)
	if b.output == "" || last != b.lastLayer {
		return nil, fmt.Errorf("%w: the output layer %q is not the last layer", ErrUnsupported, last)
	}
	b.graph.Nodes = append(b.graph.Nodes, onnxwrite.Node{Name: "output", OpType: "Identity", Inputs: []string{b.output}, Outputs: []string{OutputName}})
	b.graph.Inputs = []onnxwrite.ValueInfo{{Name: InputName, ElemType: onnxwrite.Float, Dims: []onnxwrite.Dim{
		{Value: 1}, {Value: 3}, {Param: "height"}, {Param: "width"},
	}}}
	b.graph.Outputs = []onnxwrite.ValueInfo{{Name: OutputName, ElemType: onnxwrite.Float, Dims: []onnxwrite.Dim{
		{Value: 1}, {Value: 3}, {Param: "height_out"}, {Param: "width_out"},
	}}}
	model := &onnxwrite.Model{IRVersion: 8, Opset: 17, ProducerName: "hybridgen", DocString: doc, Graph: b.graph}
	return model.Marshal(), nil
}

// readWeights splits the concatenated shards into named float32 tensors.
func readWeights(m *modelJSON, files map[string][]byte) (map[string]weight, error) {
	out := map[string]weight{}
	for _, group := range m.WeightsManifest {
		var buf []byte
		for _, p := range group.Paths {
			shard, ok := files[p]
			if !ok {
				return nil, fmt.Errorf("%w: weight shard %s", ErrMissing, p)
			}
			buf = append(buf, shard...)
		}
		for _, w := range group.Weights {
			if w.DType != "float32" || len(w.Quantization) > 0 {
				return nil, fmt.Errorf("%w: weight %s is %s (quantized: %t), want plain float32", ErrUnsupported, w.Name, w.DType, len(w.Quantization) > 0)
			}
			n := int64(1)
			for _, d := range w.Shape {
				n *= d
			}
			if int64(len(buf)) < 4*n {
				return nil, fmt.Errorf("%w: the shards end before weight %s", ErrModel, w.Name)
			}
			data := make([]float32, n)
			for i := range data {
				data[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
			}
			out[w.Name] = weight{shape: w.Shape, data: data}
			buf = buf[4*n:]
		}
		if len(buf) != 0 {
			return nil, fmt.Errorf("%w: %d bytes left over after the weights", ErrModel, len(buf))
		}
	}
	return out, nil
}

// graphBuilder appends one ONNX node (or two) per layer, named after it.
type graphBuilder struct {
	weights   map[string]weight
	graph     onnxwrite.Graph
	names     map[string]string // layer name -> the ONNX value holding its output
	output    string
	lastLayer string
	scale     int64
}

func (b *graphBuilder) layers(layers []layer) error {
	b.names = map[string]string{}
	b.scale = 1
	for _, l := range layers {
		inputs, err := b.inbound(l)
		if err != nil {
			return err
		}
		out, err := b.layer(l, inputs)
		if err != nil {
			return fmt.Errorf("layer %s (%s): %w", l.Name, l.ClassName, err)
		}
		b.names[l.Name] = out
		b.output, b.lastLayer = out, l.Name
	}
	return nil
}

// inbound resolves a layer's inputs (Keras: [[[name, node, tensor, kwargs], ...]]).
func (b *graphBuilder) inbound(l layer) ([]string, error) {
	if len(l.InboundNodes) > 1 {
		return nil, fmt.Errorf("%w: layer %s is shared (%d calls)", ErrUnsupported, l.Name, len(l.InboundNodes))
	}
	var inputs []string
	for _, node := range l.InboundNodes {
		for _, ref := range node {
			name, _ := ref[0].(string)
			v, ok := b.names[name]
			if !ok {
				return nil, fmt.Errorf("%w: layer %s reads %q before it exists", ErrModel, l.Name, name)
			}
			inputs = append(inputs, v)
		}
	}
	return inputs, nil
}

func (b *graphBuilder) layer(l layer, in []string) (string, error) {
	c := l.Config
	if c.DataFormat != "" && c.DataFormat != "channels_last" {
		return "", fmt.Errorf("%w: data_format %s", ErrUnsupported, c.DataFormat)
	}
	switch l.ClassName {
	case "InputLayer":
		return InputName, nil
	case "Conv2D":
		return b.conv(l.Name, c, in)
	case "Activation":
		return b.activation(l.Name, c.Activation, one(in))
	case "Concatenate":
		if c.Axis == nil || (*c.Axis != 3 && *c.Axis != -1) {
			return "", fmt.Errorf("%w: concatenation on an axis other than channels", ErrUnsupported)
		}
		return b.node(l.Name, "Concat", in, onnxwrite.Int("axis", 1)), nil
	case "Add":
		if len(in) != 2 {
			return "", fmt.Errorf("%w: Add of %d inputs", ErrUnsupported, len(in))
		}
		return b.node(l.Name, "Add", in), nil
	case "UpSampling2D":
		return b.upsample(l.Name, c, one(in))
	}
	return "", ErrUnsupported
}

func one(in []string) []string {
	if len(in) != 1 {
		return nil
	}
	return in
}

func (b *graphBuilder) node(name, op string, inputs []string, attrs ...onnxwrite.Attr) string {
	b.graph.Nodes = append(b.graph.Nodes, onnxwrite.Node{Name: name, OpType: op, Inputs: inputs, Outputs: []string{name}, Attrs: attrs})
	return name
}

func (b *graphBuilder) activation(name, kind string, in []string) (string, error) {
	if in == nil {
		return "", fmt.Errorf("%w: want one input", ErrModel)
	}
	switch kind {
	case "linear", "":
		return in[0], nil
	case "relu":
		return b.node(name, "Relu", in), nil
	}
	return "", fmt.Errorf("%w: activation %q", ErrUnsupported, kind)
}

// conv is a Keras Conv2D: kernel [kh, kw, in, out] becomes ONNX's [out, in, kh, kw].
func (b *graphBuilder) conv(name string, c layerConfig, in []string) (string, error) {
	if in == nil || len(c.KernelSize) != 2 {
		return "", fmt.Errorf("%w: want one input and a 2-D kernel", ErrModel)
	}
	if !slices.Equal(c.Strides, []int64{1, 1}) || (c.DilationRate != nil && !slices.Equal(c.DilationRate, []int64{1, 1})) {
		return "", fmt.Errorf("%w: strides %v, dilation %v (want 1)", ErrUnsupported, c.Strides, c.DilationRate)
	}
	kh, kw := c.KernelSize[0], c.KernelSize[1]
	var pads []int64
	switch {
	case c.Padding == "valid" || (kh == 1 && kw == 1):
		pads = []int64{0, 0, 0, 0}
	case c.Padding == "same" && kh%2 == 1 && kw%2 == 1:
		pads = []int64{kh / 2, kw / 2, kh / 2, kw / 2}
	default:
		return "", fmt.Errorf("%w: padding %q with a %dx%d kernel", ErrUnsupported, c.Padding, kh, kw)
	}
	kernel, ok := b.weights[name+"/kernel"]
	if !ok || len(kernel.shape) != 4 || kernel.shape[0] != kh || kernel.shape[1] != kw || kernel.shape[3] != c.Filters {
		return "", fmt.Errorf("%w: kernel %s/kernel missing or of the wrong shape", ErrModel, name)
	}
	cin, cout := kernel.shape[2], kernel.shape[3]
	oihw := make([]float32, len(kernel.data))
	for y := range kh {
		for x := range kw {
			for i := range cin {
				for o := range cout {
					oihw[((o*cin+i)*kh+y)*kw+x] = kernel.data[((y*kw+x)*cin+i)*cout+o]
				}
			}
		}
	}
	inputs := []string{in[0], b.initializer(name+".weight", []int64{cout, cin, kh, kw}, oihw)}
	if c.UseBias == nil || *c.UseBias {
		bias, ok := b.weights[name+"/bias"]
		if !ok || !slices.Equal(bias.shape, []int64{cout}) {
			return "", fmt.Errorf("%w: bias %s/bias missing or of the wrong shape", ErrModel, name)
		}
		inputs = append(inputs, b.initializer(name+".bias", bias.shape, bias.data))
	}
	out := b.node(name+".conv", "Conv", inputs,
		onnxwrite.Ints("dilations", 1, 1), onnxwrite.Int("group", 1), onnxwrite.Ints("kernel_shape", kh, kw),
		onnxwrite.Ints("pads", pads...), onnxwrite.Ints("strides", 1, 1))
	return b.activation(name, c.Activation, []string{out})
}

// upsample is UpSampling2D (nearest): every pixel repeated size times, as
// ONNX Resize with asymmetric coordinates and floor rounding.
func (b *graphBuilder) upsample(name string, c layerConfig, in []string) (string, error) {
	if in == nil || len(c.Size) != 2 || c.Size[0] != c.Size[1] || c.Size[0] < 1 {
		return "", fmt.Errorf("%w: size %v (want square)", ErrUnsupported, c.Size)
	}
	if c.Interp != "" && c.Interp != "nearest" {
		return "", fmt.Errorf("%w: interpolation %q", ErrUnsupported, c.Interp)
	}
	s := float32(c.Size[0])
	b.scale *= c.Size[0]
	scales := b.initializer(name+".scales", []int64{4}, []float32{1, 1, s, s})
	return b.node(name, "Resize", []string{in[0], "", scales},
		onnxwrite.String("coordinate_transformation_mode", "asymmetric"),
		onnxwrite.String("mode", "nearest"), onnxwrite.String("nearest_mode", "floor")), nil
}

func (b *graphBuilder) initializer(name string, dims []int64, values []float32) string {
	b.graph.Initializers = append(b.graph.Initializers, onnxwrite.FloatTensor(name, dims, values))
	return name
}
