// Package onnxwrite encodes ONNX models (onnx.proto's ModelProto) with
// protowire: only the fields a plain inference graph needs (nodes,
// attributes, raw-data initializers, typed inputs and outputs with fixed or
// symbolic dimensions). Output is deterministic: the same Model gives the
// same bytes.
//
// Entry point: [Model.Marshal].
package onnxwrite

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Element types (onnx TensorProto.DataType).
const (
	Float   int32 = 1
	Int64   int32 = 7
	Float16 int32 = 10
)

// Model is an ONNX ModelProto with one opset import of the default domain.
type Model struct {
	IRVersion       int64
	Opset           int64
	ProducerName    string
	ProducerVersion string
	DocString       string
	Graph           Graph
}

// Graph is an ONNX GraphProto.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is one operator; an empty input name is an omitted optional input.
type Node struct {
	Name    string
	OpType  string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Attr is a node attribute; build it with [Int], [Ints], [Float32] or [String].
type Attr struct {
	name string
	kind int32
	i    int64
	f    float32
	s    string
	ints []int64
}

// Int is an INT attribute.
func Int(name string, v int64) Attr { return Attr{name: name, kind: 2, i: v} }

// Ints is an INTS attribute.
func Ints(name string, v ...int64) Attr { return Attr{name: name, kind: 7, ints: v} }

// Float32 is a FLOAT attribute.
func Float32(name string, v float32) Attr { return Attr{name: name, kind: 1, f: v} }

// String is a STRING attribute.
func String(name, v string) Attr { return Attr{name: name, kind: 3, s: v} }

// Tensor is an initializer with its bytes in raw_data (little-endian).
type Tensor struct {
	Name     string
	DataType int32
	Dims     []int64
	Raw      []byte
}

// FloatTensor is a float32 initializer.
func FloatTensor(name string, dims []int64, values []float32) Tensor {
	raw := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return Tensor{Name: name, DataType: Float, Dims: dims, Raw: raw}
}

// Dim is a fixed size (Param "") or a symbolic one (Param set).
type Dim struct {
	Value int64
	Param string
}

// ValueInfo is a typed graph input or output.
type ValueInfo struct {
	Name     string
	ElemType int32
	Dims     []Dim
}

// Marshal encodes the model.
func (m *Model) Marshal() []byte {
	var b []byte
	b = appendVarintField(b, 1, uint64(m.IRVersion))
	b = appendStringField(b, 2, m.ProducerName)
	b = appendStringField(b, 3, m.ProducerVersion)
	b = appendStringField(b, 6, m.DocString)
	b = appendMessage(b, 7, m.Graph.marshal())
	opset := appendVarintField(nil, 2, uint64(m.Opset)) // domain "" (ai.onnx) left out
	return appendMessage(b, 8, opset)
}

func (g *Graph) marshal() []byte {
	var b []byte
	for i := range g.Nodes {
		b = appendMessage(b, 1, g.Nodes[i].marshal())
	}
	b = appendStringField(b, 2, g.Name)
	for i := range g.Initializers {
		b = appendMessage(b, 5, g.Initializers[i].marshal())
	}
	for i := range g.Inputs {
		b = appendMessage(b, 11, g.Inputs[i].marshal())
	}
	for i := range g.Outputs {
		b = appendMessage(b, 12, g.Outputs[i].marshal())
	}
	return b
}

func (n *Node) marshal() []byte {
	var b []byte
	for _, in := range n.Inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, in)
	}
	for _, out := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, out)
	}
	b = appendStringField(b, 3, n.Name)
	b = appendStringField(b, 4, n.OpType)
	for _, a := range n.Attrs {
		b = appendMessage(b, 5, a.marshal())
	}
	return b
}

func (a *Attr) marshal() []byte {
	b := appendStringField(nil, 1, a.name)
	switch a.kind {
	case 1:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case 2:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.i))
	case 3:
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, a.s)
	case 7:
		var packed []byte
		for _, v := range a.ints {
			packed = protowire.AppendVarint(packed, uint64(v))
		}
		b = appendMessage(b, 8, packed)
	}
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(a.kind))
}

func (t *Tensor) marshal() []byte {
	var dims []byte
	for _, d := range t.Dims {
		dims = protowire.AppendVarint(dims, uint64(d))
	}
	var b []byte
	if len(t.Dims) > 0 {
		b = appendMessage(b, 1, dims)
	}
	b = appendVarintField(b, 2, uint64(t.DataType))
	b = appendStringField(b, 8, t.Name)
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	return protowire.AppendBytes(b, t.Raw)
}

func (v *ValueInfo) marshal() []byte {
	var shape []byte
	for _, d := range v.Dims {
		var dim []byte
		if d.Param != "" {
			dim = appendStringField(nil, 2, d.Param)
		} else {
			dim = protowire.AppendTag(nil, 1, protowire.VarintType)
			dim = protowire.AppendVarint(dim, uint64(d.Value))
		}
		shape = appendMessage(shape, 1, dim)
	}
	tensorType := appendVarintField(nil, 1, uint64(v.ElemType))
	tensorType = appendMessage(tensorType, 2, shape)
	typeProto := appendMessage(nil, 1, tensorType)
	b := appendStringField(nil, 1, v.Name)
	return appendMessage(b, 2, typeProto)
}

func appendMessage(b []byte, field protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendStringField(b []byte, field protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarintField(b []byte, field protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}
