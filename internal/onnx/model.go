// Package onnx reads what a backend needs to know from an ONNX model file
// without loading it: the graph's inputs and outputs (element types and
// symbolic dimensions), the opsets it imports and the operator types it
// uses per domain. It streams the protobuf with protowire and seeks past
// initializer payloads, so a 1.7 GB UNet costs a few reads, not 1.7 GB of
// memory (ModelProto puts the graph's inputs and outputs after its
// initializers).
//
// Entry point: [Summarize].
package onnx

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"

	"hybridgen/models"
)

// StandardDomain is how a summary names ONNX's default ("") domain.
const StandardDomain = "ai.onnx"

// Field numbers of onnx.proto (onnx/onnx, IR version 10).
const (
	modelIRVersion   = 1
	modelGraph       = 7
	modelOpsetImport = 8

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrGraph  = 6
	attrGraphs = 11

	tensorName = 8

	valueName = 1
	valueType = 2

	typeTensor     = 1
	tensorElemType = 1
	tensorShape    = 2
	shapeDim       = 1
	dimValue       = 1
	dimParam       = 2
)

// summary collects a model while it is read.
type summary struct {
	irVersion    uint64
	sawGraph     bool
	opsets       map[string]int64
	inputs       []models.TensorInfo
	outputs      []models.TensorInfo
	initializers map[string]bool
	ops          map[string]map[string]bool
}

// Summarize reads the model in src and returns its graph summary, or an
// error wrapping [ErrNotONNX].
func Summarize(src io.ReadSeeker) (*models.GraphSummary, error) {
	size, err := src.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("onnx: size: %w", err)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("onnx: seek: %w", err)
	}
	s := &summary{opsets: map[string]int64{}, initializers: map[string]bool{}, ops: map[string]map[string]bool{}}
	w := newWire(src)
	if err := w.eachField(size, func(num protowire.Number, typ protowire.Type) error { return s.modelField(w, num, typ, size) }); err != nil {
		return nil, err
	}
	return s.result()
}

func (s *summary) modelField(w *wire, num protowire.Number, typ protowire.Type, end int64) error {
	switch {
	case num == modelIRVersion && typ == protowire.VarintType:
		v, err := w.varint()
		s.irVersion = v
		return err
	case num == modelOpsetImport && typ == protowire.BytesType:
		b, err := inline(w, end)
		if err != nil {
			return err
		}
		return s.opset(b)
	case num == modelGraph && typ == protowire.BytesType:
		n, err := w.length(end)
		if err != nil {
			return err
		}
		s.sawGraph = true
		return s.graph(w, w.pos+n, true)
	}
	return errSkip
}

// graph reads a GraphProto ending at end; top says whether its inputs and
// outputs are the model's (subgraphs contribute only their operators).
func (s *summary) graph(w *wire, end int64, top bool) error {
	return w.eachField(end, func(num protowire.Number, typ protowire.Type) error {
		if typ != protowire.BytesType {
			return errSkip
		}
		switch {
		case num == graphNode:
			n, err := w.length(end)
			if err != nil {
				return err
			}
			return s.node(w, w.pos+n)
		case num == graphInitializer && top:
			n, err := w.length(end)
			if err != nil {
				return err
			}
			return s.initializer(w, w.pos+n)
		case (num == graphInput || num == graphOutput) && top:
			b, err := inline(w, end)
			if err != nil {
				return err
			}
			t, err := valueInfo(b)
			if err != nil {
				return err
			}
			if num == graphInput {
				s.inputs = append(s.inputs, t)
			} else {
				s.outputs = append(s.outputs, t)
			}
			return nil
		}
		return errSkip
	})
}

// node records a NodeProto's operator, and those of its subgraphs.
func (s *summary) node(w *wire, end int64) error {
	opType, domain := "", ""
	err := w.eachField(end, func(num protowire.Number, typ protowire.Type) error {
		if typ != protowire.BytesType {
			return errSkip
		}
		switch num {
		case nodeOpType, nodeDomain:
			b, err := inline(w, end)
			if num == nodeOpType {
				opType = string(b)
			} else {
				domain = string(b)
			}
			return err
		case nodeAttribute:
			n, err := w.length(end)
			if err != nil {
				return err
			}
			if n > maxInline {
				return w.skip(n) // a large constant tensor, never a subgraph worth reading
			}
			b, err := w.bytes(n)
			if err != nil {
				return err
			}
			return s.attribute(b)
		}
		return errSkip
	})
	if err != nil {
		return err
	}
	if opType == "" {
		return notONNX("a node without an op_type")
	}
	domain = domainName(domain)
	if s.ops[domain] == nil {
		s.ops[domain] = map[string]bool{}
	}
	s.ops[domain][opType] = true
	return nil
}

// attribute reads subgraphs (If, Loop, Scan bodies) out of an AttributeProto.
func (s *summary) attribute(b []byte) error {
	w := newWire(bytes.NewReader(b))
	end := int64(len(b))
	return w.eachField(end, func(num protowire.Number, typ protowire.Type) error {
		if (num == attrGraph || num == attrGraphs) && typ == protowire.BytesType {
			n, err := w.length(end)
			if err != nil {
				return err
			}
			return s.graph(w, w.pos+n, false)
		}
		return errSkip
	})
}

// initializer records a TensorProto's name and seeks past its data.
func (s *summary) initializer(w *wire, end int64) error {
	return w.eachField(end, func(num protowire.Number, typ protowire.Type) error {
		if num == tensorName && typ == protowire.BytesType {
			b, err := inline(w, end)
			s.initializers[string(b)] = true
			return err
		}
		return errSkip
	})
}

func (s *summary) opset(b []byte) error {
	w := newWire(bytes.NewReader(b))
	domain, version := "", int64(0)
	err := w.eachField(int64(len(b)), func(num protowire.Number, typ protowire.Type) error {
		switch {
		case num == opsetDomain && typ == protowire.BytesType:
			d, err := inline(w, int64(len(b)))
			domain = string(d)
			return err
		case num == opsetVersion && typ == protowire.VarintType:
			v, err := w.varint()
			version = int64(v)
			return err
		}
		return errSkip
	})
	if err == nil && version > 0 {
		s.opsets[domainName(domain)] = version
	}
	return err
}

// inline reads a length-delimited value into memory.
func inline(w *wire, end int64) ([]byte, error) {
	n, err := w.length(end)
	if err != nil {
		return nil, err
	}
	return w.bytes(n)
}

func domainName(d string) string {
	if d == "" || d == "ai.onnx" {
		return StandardDomain
	}
	return d
}

func (s *summary) result() (*models.GraphSummary, error) {
	if !s.sawGraph || s.irVersion == 0 {
		return nil, notONNX("no ir_version or no graph")
	}
	if len(s.ops) == 0 {
		return nil, notONNX("the graph has no nodes")
	}
	g := &models.GraphSummary{Opsets: s.opsets, Outputs: s.outputs, Ops: map[string][]string{}}
	for _, in := range s.inputs {
		if !s.initializers[in.Name] { // IR < 4 lists initializers as inputs too
			g.Inputs = append(g.Inputs, in)
		}
	}
	for domain, ops := range s.ops {
		g.Ops[domain] = slices.Sorted(maps.Keys(ops))
	}
	if len(g.Inputs) == 0 || len(g.Outputs) == 0 {
		return nil, notONNX("the graph has no inputs or no outputs")
	}
	return g, nil
}
