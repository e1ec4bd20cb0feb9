package tflite

import (
	"encoding/binary"
	"fmt"

	"hybridgen/internal/onnxwrite"
)

// Names of the converted graph's input and output.
const (
	InputName  = "image"
	OutputName = "mask"
)

// ConvertSegmenter converts a float TFLite image model with one NHWC
// input [1, h, w, 3] and one NHWC output [1, h', w', 1] into ONNX (opset
// 17) in NCHW layout: input `image` [1, 3, h, w], output `mask`
// [1, 1, h', w']. Operators it converts: CONV_2D, DEPTHWISE_CONV_2D,
// AVERAGE_POOL_2D, ADD, MUL, RELU, RELU6, LOGISTIC, HARD_SWISH,
// RESIZE_BILINEAR, DEQUANTIZE of float16 constants and MediaPipe's custom
// Convolution2DTransposeBias; anything else is refused with [ErrUnsupported].
func ConvertSegmenter(buf []byte, doc string) ([]byte, error) {
	m, err := Parse(buf)
	if err != nil {
		return nil, err
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 {
		return nil, fmt.Errorf("%w: %d inputs and %d outputs, want one of each", ErrUnsupported, len(m.Inputs), len(m.Outputs))
	}
	in, out := m.Tensors[m.Inputs[0]], m.Tensors[m.Outputs[0]]
	if len(in.Shape) != 4 || in.Shape[3] != 3 || len(out.Shape) != 4 || out.Shape[3] != 1 {
		return nil, fmt.Errorf("%w: input %v and output %v, want [1,h,w,3] and [1,h,w,1]", ErrUnsupported, in.Shape, out.Shape)
	}
	c := &converter{m: m, names: map[int32]string{m.Inputs[0]: InputName}, consts: map[int32]*Tensor{}}
	for i := range m.Tensors {
		if m.Tensors[i].Data != nil {
			c.consts[int32(i)] = &m.Tensors[i]
		}
	}
	for i := range m.Operators {
		if err := c.operator(i, &m.Operators[i]); err != nil {
			return nil, fmt.Errorf("operator %d (code %d%s): %w", i, m.Operators[i].Code, m.Operators[i].Custom, err)
		}
	}
	last, ok := c.names[m.Outputs[0]]
	if !ok {
		return nil, fmt.Errorf("%w: no operator writes the output", ErrModel)
	}
	c.graph.Nodes = append(c.graph.Nodes, onnxwrite.Node{Name: "output", OpType: "Identity", Inputs: []string{last}, Outputs: []string{OutputName}})
	c.graph.Name = "tflite"
	c.graph.Inputs = []onnxwrite.ValueInfo{{Name: InputName, ElemType: onnxwrite.Float, Dims: dims(1, 3, int64(in.Shape[1]), int64(in.Shape[2]))}}
	c.graph.Outputs = []onnxwrite.ValueInfo{{Name: OutputName, ElemType: onnxwrite.Float, Dims: dims(1, 1, int64(out.Shape[1]), int64(out.Shape[2]))}}
	model := &onnxwrite.Model{IRVersion: 8, Opset: 17, ProducerName: "hybridgen", DocString: doc, Graph: c.graph}
	return model.Marshal(), nil
}

func dims(v ...int64) []onnxwrite.Dim {
	out := make([]onnxwrite.Dim, len(v))
	for i, d := range v {
		out[i] = onnxwrite.Dim{Value: d}
	}
	return out
}

// converter maps tensor indices to ONNX value names while appending nodes.
type converter struct {
	m      *Model
	graph  onnxwrite.Graph
	names  map[int32]string  // activation tensor -> ONNX value
	consts map[int32]*Tensor // constant tensors (DEQUANTIZE outputs included)
}

func (c *converter) operator(i int, op *Operator) error {
	if len(op.Outputs) != 1 {
		return fmt.Errorf("%w: %d outputs", ErrUnsupported, len(op.Outputs))
	}
	name := fmt.Sprintf("op%d", i)
	if op.Code == OpDequantize {
		src, ok := c.consts[op.Inputs[0]]
		if !ok {
			return fmt.Errorf("%w: DEQUANTIZE of a non-constant", ErrUnsupported)
		}
		c.consts[op.Outputs[0]] = src
		return nil
	}
	out, err := c.build(name, op)
	if err != nil {
		return err
	}
	c.names[op.Outputs[0]] = out
	return nil
}

func (c *converter) build(name string, op *Operator) (string, error) {
	switch op.Code {
	case OpConv2D:
		return c.conv(name, op, false)
	case OpDepthwiseConv2D:
		return c.conv(name, op, true)
	case OpAveragePool2D:
		return c.avgPool(name, op)
	case OpAdd, OpMul:
		return c.binary(name, op)
	case OpRelu:
		return c.unary(name, "Relu", op)
	case OpLogistic:
		return c.unary(name, "Sigmoid", op)
	case OpHardSwish:
		return c.unary(name, "HardSwish", op)
	case OpRelu6:
		x, err := c.value(op.Inputs[0])
		if err != nil {
			return "", err
		}
		return c.activation(name, x, 3)
	case OpResizeBilinear:
		return c.resize(name, op)
	case OpCustom:
		if op.Custom == "Convolution2DTransposeBias" {
			return c.transposeConv(name, op)
		}
	}
	return "", ErrUnsupported
}

// value is the ONNX value of an activation tensor.
func (c *converter) value(t int32) (string, error) {
	if v, ok := c.names[t]; ok {
		return v, nil
	}
	return "", fmt.Errorf("%w: tensor %d is read before it is written", ErrModel, t)
}

func (c *converter) node(name, op string, inputs []string, attrs ...onnxwrite.Attr) string {
	c.graph.Nodes = append(c.graph.Nodes, onnxwrite.Node{Name: name, OpType: op, Inputs: inputs, Outputs: []string{name}, Attrs: attrs})
	return name
}

func (c *converter) initializer(name string, dims []int64, values []float32) string {
	c.graph.Initializers = append(c.graph.Initializers, onnxwrite.FloatTensor(name, dims, values))
	return name
}

func (c *converter) int64s(name string, values ...int64) string {
	raw := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	c.graph.Initializers = append(c.graph.Initializers, onnxwrite.Tensor{Name: name, DataType: onnxwrite.Int64, Dims: []int64{int64(len(values))}, Raw: raw})
	return name
}

func (c *converter) unary(name, op string, o *Operator) (string, error) {
	x, err := c.value(o.Inputs[0])
	if err != nil {
		return "", err
	}
	return c.node(name, op, []string{x}), nil
}

// activation appends a TFLite fused activation (schema ActivationFunctionType).
func (c *converter) activation(name, x string, kind byte) (string, error) {
	switch kind {
	case 0:
		return x, nil
	case 1:
		return c.node(name+".relu", "Relu", []string{x}), nil
	case 3:
		lo := c.initializer(name+".min", nil, []float32{0})
		hi := c.initializer(name+".max", nil, []float32{6})
		return c.node(name+".relu6", "Clip", []string{x, lo, hi}), nil
	}
	return "", fmt.Errorf("%w: fused activation %d", ErrUnsupported, kind)
}

// binary is ADD or MUL of two activations (NCHW shapes broadcast like the
// NHWC ones) or of an activation and a per-channel or scalar constant.
func (c *converter) binary(name string, o *Operator) (string, error) {
	if len(o.Inputs) != 2 {
		return "", fmt.Errorf("%w: %d inputs", ErrModel, len(o.Inputs))
	}
	var ins [2]string
	for k, t := range o.Inputs {
		if v, ok := c.names[t]; ok {
			ins[k] = v
			continue
		}
		k2, err := c.constOperand(fmt.Sprintf("%s.in%d", name, k), t)
		if err != nil {
			return "", err
		}
		ins[k] = k2
	}
	op := map[int32]string{OpAdd: "Add", OpMul: "Mul"}[o.Code]
	out := c.node(name+"."+op, op, ins[:])
	return c.activation(name, out, o.options0Byte())
}

// constOperand turns a scalar or per-channel constant into an NCHW-broadcastable initializer.
func (c *converter) constOperand(name string, t int32) (string, error) {
	k, ok := c.consts[t]
	if !ok {
		return "", fmt.Errorf("%w: tensor %d is read before it is written", ErrModel, t)
	}
	v, err := k.Floats()
	if err != nil {
		return "", err
	}
	switch {
	case len(v) == 1:
		return c.initializer(name, nil, v), nil
	case len(k.Shape) == 1 || (len(k.Shape) == 4 && k.Shape[0]*k.Shape[1]*k.Shape[2] == 1):
		return c.initializer(name, []int64{1, int64(len(v)), 1, 1}, v), nil
	}
	return "", fmt.Errorf("%w: constant operand of shape %v", ErrUnsupported, k.Shape)
}

// options0Byte is field 0 of the options table (fused_activation_function
// of AddOptions and MulOptions), 0 when absent.
func (o *Operator) options0Byte() byte {
	if !o.hasOptions {
		return 0
	}
	return o.options.byteField(0, 0)
}
