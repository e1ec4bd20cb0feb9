// Package onnxtest writes tiny ONNX model files for tests, field by field
// with protowire (no weights that mean anything; enough for the reader).
package onnxtest

import (
	"bytes"

	"google.golang.org/protobuf/encoding/protowire"
)

// Str appends a string field.
func Str(num protowire.Number, s string) []byte {
	return protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), s)
}

// Msg appends a message field made of parts.
func Msg(num protowire.Number, parts ...[]byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), bytes.Join(parts, nil))
}

// Varint appends a varint field.
func Varint(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

// Element types (TensorProto.DataType).
const (
	Float32 = 1
	Int32   = 6
	Int64   = 7
	Float16 = 10
)

// Value writes a graph input (field 11) or output (field 12): dims are int
// (dim_value), string (dim_param) or nil (neither).
func Value(field protowire.Number, name string, elem uint64, dims ...any) []byte {
	var shape [][]byte
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			shape = append(shape, Msg(1, Varint(1, uint64(d))))
		case string:
			shape = append(shape, Msg(1, Str(2, d)))
		default:
			shape = append(shape, Msg(1))
		}
	}
	return Msg(field, Str(1, name), Msg(2, Msg(1, Varint(1, elem), Msg(2, shape...))))
}

// Input is a graph input; Output a graph output.
func Input(name string, elem uint64, dims ...any) []byte  { return Value(11, name, elem, dims...) }
func Output(name string, elem uint64, dims ...any) []byte { return Value(12, name, elem, dims...) }

// Node is a graph node of op in domain ("" for the standard one).
func Node(op, domain string, extra ...[]byte) []byte {
	parts := append([][]byte{Str(1, "x"), Str(2, "y"), Str(4, op)}, extra...)
	if domain != "" {
		parts = append(parts, Str(7, domain))
	}
	return Msg(1, parts...)
}

// Initializer is a named tensor with size bytes of raw data.
func Initializer(name string, size int) []byte {
	return Msg(5, Varint(2, Float16), Str(8, name), Str(9, string(make([]byte, size))))
}

// Model writes a ModelProto (IR 8) importing opsets (domain to version)
// around a graph made of parts (nodes, initializers, inputs, outputs).
func Model(opsets map[string]uint64, parts ...[]byte) []byte {
	out := [][]byte{Varint(1, 8), Str(2, "onnxtest")}
	for domain, v := range opsets {
		out = append(out, Msg(8, Str(1, domain), Varint(2, v)))
	}
	out = append(out, Msg(7, append(parts, Str(2, "main"))...))
	return bytes.Join(out, nil)
}
