package torchfile

import (
	"encoding/binary"
	"fmt"
	"math"
)

// persistentID turns ('storage', <FloatStorage|HalfStorage>, key, location,
// numel) into the storage's bytes.
func (m *machine) persistentID() error {
	v, err := m.pop()
	if err != nil {
		return err
	}
	pid, ok := v.(pyTuple)
	if !ok || len(pid) != 5 || pid[0] != "storage" {
		return fmt.Errorf("%w: a persistent id that is not ('storage', type, key, location, numel)", ErrUnsupported)
	}
	g, ok1 := pid[1].(*pyGlobal)
	key, ok2 := pid[2].(string)
	numel, ok3 := pid[4].(int64)
	if !ok1 || !ok2 || !ok3 || numel < 0 {
		return fmt.Errorf("%w: a malformed storage id", ErrCorrupt)
	}
	dtype, ok := storageTypes[g.name]
	if !ok || g.module != "torch" {
		return fmt.Errorf("%w: storage type %s.%s", ErrUnsupported, g.module, g.name)
	}
	data, err := m.storages.load(key)
	if err != nil {
		return err
	}
	if int64(len(data)) != numel*elemSize(dtype) {
		return fmt.Errorf("%w: storage %q has %d bytes, its id says %d elements of %s", ErrCorrupt, key, len(data), numel, dtype)
	}
	m.push(&storageRef{dtype: dtype, data: data, numel: numel})
	return nil
}

func (m *machine) reduce() error {
	argsV, err := m.pop()
	if err != nil {
		return err
	}
	fnV, err := m.pop()
	if err != nil {
		return err
	}
	args, ok := argsV.(pyTuple)
	fn, ok2 := fnV.(*pyGlobal)
	if !ok || !ok2 {
		return fmt.Errorf("%w: REDUCE of %s with %s", ErrUnsupported, typeName(fnV), typeName(argsV))
	}
	var out any
	switch *fn {
	case pyGlobal{"collections", "OrderedDict"}:
		if len(args) != 0 {
			return fmt.Errorf("%w: OrderedDict built from arguments", ErrUnsupported)
		}
		out = newDict()
	case pyGlobal{"torch._utils", "_rebuild_tensor_v2"}:
		out, err = rebuildTensor(args)
	case pyGlobal{"torch._utils", "_rebuild_parameter"}:
		if len(args) < 1 {
			return fmt.Errorf("%w: _rebuild_parameter without data", ErrCorrupt)
		}
		t, isTensor := args[0].(*Tensor)
		if !isTensor {
			return fmt.Errorf("%w: a parameter of %s", ErrUnsupported, typeName(args[0]))
		}
		out = t
	default:
		return fmt.Errorf("%w: %s.%s cannot be called", ErrUnsupported, fn.module, fn.name)
	}
	if err != nil {
		return err
	}
	m.push(out)
	return nil
}

// build accepts BUILD only as OrderedDict's attribute state (state_dict's
// _metadata), which a reader of tensors ignores.
func (m *machine) build() error {
	state, err := m.pop()
	if err != nil {
		return err
	}
	target, err := m.top()
	if err != nil {
		return err
	}
	if _, isDict := target.(*pyDict); !isDict {
		return fmt.Errorf("%w: BUILD on %s", ErrUnsupported, typeName(target))
	}
	if _, isDict := state.(*pyDict); !isDict && state != nil {
		return fmt.Errorf("%w: BUILD with %s state", ErrUnsupported, typeName(state))
	}
	return nil
}

// rebuildTensor is _rebuild_tensor_v2(storage, offset, size, stride,
// requires_grad, backward_hooks[, metadata]) for contiguous tensors.
func rebuildTensor(args pyTuple) (*Tensor, error) {
	if len(args) != 6 && len(args) != 7 {
		return nil, fmt.Errorf("%w: _rebuild_tensor_v2 with %d arguments", ErrUnsupported, len(args))
	}
	st, ok := args[0].(*storageRef)
	offset, ok2 := args[1].(int64)
	size, ok3 := args[2].(pyTuple)
	stride, ok4 := args[3].(pyTuple)
	if !ok || !ok2 || !ok3 || !ok4 || len(size) != len(stride) || offset < 0 {
		return nil, fmt.Errorf("%w: malformed _rebuild_tensor_v2 arguments", ErrCorrupt)
	}
	if hooks, isDict := args[5].(*pyDict); !isDict || len(hooks.keys) != 0 {
		return nil, fmt.Errorf("%w: a tensor with backward hooks", ErrUnsupported)
	}
	shape := make([]int, len(size))
	numel, want := int64(1), int64(1)
	for i := len(size) - 1; i >= 0; i-- {
		d, okD := size[i].(int64)
		s, okS := stride[i].(int64)
		if !okD || !okS || d < 0 || d > math.MaxInt32 {
			return nil, fmt.Errorf("%w: a tensor size or stride that is not a small integer", ErrCorrupt)
		}
		if d > 1 && s != want {
			return nil, fmt.Errorf("%w: a non-contiguous tensor (stride %v for size %v)", ErrUnsupported, stride, size)
		}
		shape[i] = int(d)
		want *= d
		numel *= d
		if numel > st.numel {
			break
		}
	}
	if offset+numel > st.numel {
		return nil, fmt.Errorf("%w: a tensor of %d elements at offset %d in a storage of %d", ErrCorrupt, numel, offset, st.numel)
	}
	return &Tensor{Shape: shape, DType: st.dtype, Data: decode(st, offset, numel)}, nil
}

func elemSize(d DType) int64 {
	if d == Float16 {
		return 2
	}
	return 4
}

func decode(st *storageRef, offset, numel int64) []float32 {
	out := make([]float32, numel)
	es := elemSize(st.dtype)
	b := st.data[offset*es : (offset+numel)*es]
	for i := range out {
		if st.dtype == Float16 {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
		} else {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return out
}

// halfToFloat widens an IEEE 754 binary16 value exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	f := float32(frac) / 1024 / 16384 // subnormal: frac * 2^-24
	if sign != 0 {
		return -f
	}
	return f
}
