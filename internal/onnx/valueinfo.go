package onnx

import (
	"google.golang.org/protobuf/encoding/protowire"

	"hybridgen/models"
)

// valueInfo decodes a ValueInfoProto (small: read whole).
func valueInfo(b []byte) (models.TensorInfo, error) {
	t := models.TensorInfo{Type: "unknown", Shape: []models.Dim{}}
	err := eachInline(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == valueName && typ == protowire.BytesType:
			t.Name = string(v)
		case num == valueType && typ == protowire.BytesType:
			return eachInline(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if num == typeTensor && typ == protowire.BytesType {
					return tensorType(v, &t)
				}
				return nil
			})
		}
		return nil
	})
	if err == nil && t.Name == "" {
		err = notONNX("a graph input or output without a name")
	}
	return t, err
}

func tensorType(b []byte, t *models.TensorInfo) error {
	return eachInline(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == tensorElemType && typ == protowire.VarintType:
			n, _ := protowire.ConsumeVarint(v)
			t.Type = elementType(n)
		case num == tensorShape && typ == protowire.BytesType:
			return eachInline(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if num == shapeDim && typ == protowire.BytesType {
					d, err := dim(v)
					t.Shape = append(t.Shape, d)
					return err
				}
				return nil
			})
		}
		return nil
	})
}

func dim(b []byte) (models.Dim, error) {
	var d models.Dim
	err := eachInline(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == dimValue && typ == protowire.VarintType:
			n, _ := protowire.ConsumeVarint(v)
			if int64(n) >= 0 {
				d.Value, d.Known = int64(n), true
			}
		case num == dimParam && typ == protowire.BytesType && len(v) > 0:
			d.Param, d.Known = string(v), true
		}
		return nil
	})
	return d, err
}

// eachInline calls fn with every field of an in-memory message; v is the
// varint's bytes for varints and the payload for length-delimited fields.
func eachInline(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return notONNX("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return notONNX("bad field %d: %v", num, protowire.ParseError(m))
		}
		v := b[:m]
		if typ == protowire.BytesType {
			v, _ = protowire.ConsumeBytes(b)
		}
		if err := fn(num, typ, v); err != nil {
			return err
		}
		b = b[m:]
	}
	return nil
}

// elementType names a TensorProto.DataType the way models.ElementTypes do.
func elementType(n uint64) string {
	if n >= 1 && n <= uint64(len(models.ElementTypes)-1) {
		return models.ElementTypes[n-1]
	}
	return "unknown"
}
