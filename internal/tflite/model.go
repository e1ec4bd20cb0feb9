package tflite

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tensor types (schema.fbs TensorType) this package reads.
const (
	TypeFloat32 = 0
	TypeFloat16 = 1
	TypeInt32   = 2
)

// Builtin operators (schema.fbs BuiltinOperator) this package converts.
const (
	OpAdd             = 0
	OpAveragePool2D   = 1
	OpConv2D          = 3
	OpDepthwiseConv2D = 4
	OpDequantize      = 6
	OpLogistic        = 14
	OpMul             = 18
	OpRelu            = 19
	OpRelu6           = 21
	OpResizeBilinear  = 23
	OpCustom          = 32
	OpHardSwish       = 117
)

// Model is the first subgraph of a TFLite model.
type Model struct {
	Tensors   []Tensor
	Operators []Operator
	Inputs    []int32
	Outputs   []int32
}

// Tensor is one tensor; Data holds its constant bytes (nil for activations).
type Tensor struct {
	Name  string
	Shape []int32
	Type  byte
	Data  []byte
}

// Operator is one node: its builtin code (or OpCustom with Custom set), its
// tensor indices (-1 for an omitted optional input) and its options table.
type Operator struct {
	Code          int32
	Custom        string
	Inputs        []int32
	Outputs       []int32
	options       table
	hasOptions    bool
	CustomOptions []byte
}

// Parse decodes a TFLite FlatBuffer (schema v3) into its first subgraph.
func Parse(buf []byte) (m *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(fbError)
			if !ok {
				panic(r)
			}
			m, err = nil, fmt.Errorf("%w: %s", ErrModel, fe.msg)
		}
	}()
	if len(buf) < 8 || string(buf[4:8]) != "TFL3" {
		return nil, fmt.Errorf("%w: no TFL3 file identifier", ErrModel)
	}
	root := tableAt(buf, int(binary.LittleEndian.Uint32(buf)))
	if v := root.int32Field(0, 0); v != 3 {
		return nil, fmt.Errorf("%w: schema version %d, want 3", ErrUnsupported, v)
	}
	codes := root.tables(1)
	subgraphs := root.tables(2)
	buffers := root.tables(4)
	if len(subgraphs) == 0 {
		return nil, fmt.Errorf("%w: no subgraph", ErrModel)
	}
	g := subgraphs[0]
	m = &Model{Inputs: g.int32s(1), Outputs: g.int32s(2)}
	for _, t := range g.tables(0) {
		tensor := Tensor{Shape: t.int32s(0), Type: t.byteField(1, 0), Name: t.stringField(3)}
		if b := int(uint32(t.int32Field(2, 0))); b > 0 {
			if b >= len(buffers) {
				return nil, fmt.Errorf("%w: tensor %s reads buffer %d of %d", ErrModel, tensor.Name, b, len(buffers))
			}
			if data := buffers[b].bytesField(0); len(data) > 0 {
				tensor.Data = data
			}
		}
		m.Tensors = append(m.Tensors, tensor)
	}
	for _, o := range g.tables(3) {
		idx := int(uint32(o.int32Field(0, 0)))
		if idx >= len(codes) {
			return nil, fmt.Errorf("%w: operator code %d of %d", ErrModel, idx, len(codes))
		}
		op := Operator{Code: opCode(codes[idx]), Custom: codes[idx].stringField(1), Inputs: o.int32s(1), Outputs: o.int32s(2)}
		op.options, op.hasOptions = o.tableField(4)
		op.CustomOptions = o.bytesField(5)
		m.Operators = append(m.Operators, op)
	}
	return m, nil
}

// opCode is the larger of deprecated_builtin_code (a byte, field 0) and
// builtin_code (field 3): old files set only the first, new ones both.
func opCode(c table) int32 {
	return max(int32(c.byteField(0, 0)), c.int32Field(3, 0))
}

// Floats returns a constant tensor's values as float32 (float32 or float16 data).
func (t *Tensor) Floats() ([]float32, error) {
	n := 1
	for _, d := range t.Shape {
		n *= int(d)
	}
	switch {
	case t.Type == TypeFloat32 && len(t.Data) == 4*n:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
		return out, nil
	case t.Type == TypeFloat16 && len(t.Data) == 2*n:
		out := make([]float32, n)
		for i := range out {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: tensor %s is type %d with %d bytes for %d values", ErrUnsupported, t.Name, t.Type, len(t.Data), n)
}

// halfToFloat widens an IEEE 754 binary16 value exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac * 2^-24
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			return -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}
