package torchfile

import (
	"fmt"
	"math/big"
)

// The pickle machine below knows the opcodes torch.save's protocol-2
// pickles of state dicts use (and protocol 4's framing and STACK_GLOBAL).
// It builds plain Go values; the only "calls" are the allow-listed
// constructors in reduce. Anything else is an ErrUnsupported error.

type (
	pyTuple  []any
	pyList   struct{ items []any }
	pyGlobal struct{ module, name string }
	// pyDict keeps insertion order (dict and OrderedDict alike).
	pyDict struct {
		keys, values []any
		index        map[any]int
	}
	storageRef struct {
		dtype DType
		data  []byte
		numel int64
	}
)

func newDict() *pyDict { return &pyDict{index: map[any]int{}} }

func (d *pyDict) set(k, v any) error {
	switch k.(type) {
	case string, int64, bool, nil:
	default:
		return fmt.Errorf("%w: a dict key of type %s", ErrUnsupported, typeName(k))
	}
	if i, ok := d.index[k]; ok {
		d.values[i] = v
		return nil
	}
	d.index[k] = len(d.keys)
	d.keys = append(d.keys, k)
	d.values = append(d.values, v)
	return nil
}

// allowedGlobals are the only globals a pickle may name.
var allowedGlobals = map[pyGlobal]bool{
	{"collections", "OrderedDict"}:         true,
	{"torch._utils", "_rebuild_tensor_v2"}: true,
	{"torch._utils", "_rebuild_parameter"}: true,
	{"torch", "FloatStorage"}:              true,
	{"torch", "HalfStorage"}:               true,
}

var storageTypes = map[string]DType{"FloatStorage": Float32, "HalfStorage": Float16}

type machine struct {
	data     []byte
	pos      int
	stack    []any
	marks    [][]any
	memo     map[int64]any
	storages *storageLoader
}

func unpickle(data []byte, storages *storageLoader) (any, error) {
	m := &machine{data: data, memo: map[int64]any{}, storages: storages}
	for {
		op, err := m.bytes(1)
		if err != nil {
			return nil, err
		}
		if op[0] == '.' { // STOP
			if len(m.stack) != 1 {
				return nil, fmt.Errorf("%w: the pickle stops with %d values on the stack", ErrCorrupt, len(m.stack))
			}
			return m.stack[0], nil
		}
		if err := m.step(op[0]); err != nil {
			return nil, fmt.Errorf("%w (pickle offset %d)", err, m.pos-1)
		}
	}
}

func (m *machine) bytes(n int) ([]byte, error) {
	if n < 0 || m.pos+n > len(m.data) {
		return nil, fmt.Errorf("%w: the pickle ends early", ErrCorrupt)
	}
	b := m.data[m.pos : m.pos+n]
	m.pos += n
	return b, nil
}

func (m *machine) uint(n int) (uint64, error) {
	b, err := m.bytes(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (m *machine) push(v any) { m.stack = append(m.stack, v) }

func (m *machine) pop() (any, error) {
	if len(m.stack) == 0 {
		return nil, fmt.Errorf("%w: pop from an empty pickle stack", ErrCorrupt)
	}
	v := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	return v, nil
}

func (m *machine) top() (any, error) {
	if len(m.stack) == 0 {
		return nil, fmt.Errorf("%w: empty pickle stack", ErrCorrupt)
	}
	return m.stack[len(m.stack)-1], nil
}

// popMark returns the values pushed since the last MARK.
func (m *machine) popMark() ([]any, error) {
	if len(m.marks) == 0 {
		return nil, fmt.Errorf("%w: no mark on the pickle stack", ErrCorrupt)
	}
	items := m.stack
	m.stack = m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	return items, nil
}

func (m *machine) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		v, err := m.uint(1)
		if err == nil && v > 5 {
			err = fmt.Errorf("%w: pickle protocol %d", ErrUnsupported, v)
		}
		return err
	case 0x95: // FRAME: a length hint only
		_, err := m.bytes(8)
		return err
	case '(': // MARK
		m.marks = append(m.marks, m.stack)
		m.stack = nil
		return nil
	case '}':
		m.push(newDict())
	case ')':
		m.push(pyTuple{})
	case ']':
		m.push(&pyList{})
	case 'N':
		m.push(nil)
	case 0x88:
		m.push(true)
	case 0x89:
		m.push(false)
	case 'K', 'M', 'J', 0x8a:
		return m.integer(op)
	case 'X', 0x8c:
		return m.unicode(op)
	case 'c', 0x93:
		return m.global(op)
	case 'q', 'r', 0x94, 'h', 'j':
		return m.memoOp(op)
	case 't', 0x85, 0x86, 0x87:
		return m.tuple(op)
	case 's', 'u', 'a', 'e':
		return m.fill(op)
	case 'Q':
		return m.persistentID()
	case 'R':
		return m.reduce()
	case 'b':
		return m.build()
	default:
		return fmt.Errorf("%w: pickle opcode 0x%02x", ErrUnsupported, op)
	}
	return nil
}

func (m *machine) integer(op byte) error {
	switch op {
	case 'K':
		v, err := m.uint(1)
		m.push(int64(v))
		return err
	case 'M':
		v, err := m.uint(2)
		m.push(int64(v))
		return err
	case 'J':
		v, err := m.uint(4)
		m.push(int64(int32(uint32(v))))
		return err
	}
	n, err := m.uint(1) // LONG1: n bytes of little-endian two's complement
	if err != nil {
		return err
	}
	b, err := m.bytes(int(n))
	if err != nil {
		return err
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if len(b) > 0 && b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if !v.IsInt64() {
		return fmt.Errorf("%w: an integer wider than 64 bits", ErrUnsupported)
	}
	m.push(v.Int64())
	return nil
}

func (m *machine) unicode(op byte) error {
	width := 4
	if op == 0x8c {
		width = 1
	}
	n, err := m.uint(width)
	if err != nil {
		return err
	}
	if n > uint64(len(m.data)) {
		return fmt.Errorf("%w: a string longer than the pickle", ErrCorrupt)
	}
	b, err := m.bytes(int(n))
	m.push(string(b))
	return err
}

// global resolves GLOBAL ("module\nname\n") or STACK_GLOBAL against the allow-list.
func (m *machine) global(op byte) error {
	var g pyGlobal
	if op == 'c' {
		mod, err := m.line()
		if err != nil {
			return err
		}
		name, err := m.line()
		if err != nil {
			return err
		}
		g = pyGlobal{mod, name}
	} else {
		name, err1 := m.pop()
		mod, err2 := m.pop()
		ns, ok1 := name.(string)
		ms, ok2 := mod.(string)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			return fmt.Errorf("%w: STACK_GLOBAL without two strings", ErrCorrupt)
		}
		g = pyGlobal{ms, ns}
	}
	if !allowedGlobals[g] {
		return &DisallowedGlobalError{Module: g.module, Name: g.name}
	}
	m.push(&g)
	return nil
}

func (m *machine) line() (string, error) {
	for i := m.pos; i < len(m.data) && i-m.pos < 256; i++ {
		if m.data[i] == '\n' {
			s := string(m.data[m.pos:i])
			m.pos = i + 1
			return s, nil
		}
	}
	return "", fmt.Errorf("%w: an unterminated GLOBAL name", ErrCorrupt)
}

func (m *machine) memoOp(op byte) error {
	switch op {
	case 0x94: // MEMOIZE
		v, err := m.top()
		m.memo[int64(len(m.memo))] = v
		return err
	case 'q', 'r': // BINPUT, LONG_BINPUT
		k, err := m.uint(map[byte]int{'q': 1, 'r': 4}[op])
		if err != nil {
			return err
		}
		v, err := m.top()
		m.memo[int64(k)] = v
		return err
	}
	k, err := m.uint(map[byte]int{'h': 1, 'j': 4}[op]) // BINGET, LONG_BINGET
	if err != nil {
		return err
	}
	v, ok := m.memo[int64(k)]
	if !ok {
		return fmt.Errorf("%w: memo key %d was never stored", ErrCorrupt, k)
	}
	m.push(v)
	return nil
}

func (m *machine) tuple(op byte) error {
	if op == 't' {
		items, err := m.popMark()
		m.push(pyTuple(items))
		return err
	}
	n := int(op - 0x84)
	items := make(pyTuple, n)
	for i := n - 1; i >= 0; i-- {
		v, err := m.pop()
		if err != nil {
			return err
		}
		items[i] = v
	}
	m.push(items)
	return nil
}

// fill runs SETITEM(S) and APPEND(S).
func (m *machine) fill(op byte) error {
	var items []any
	var err error
	if op == 's' || op == 'a' {
		n := map[byte]int{'s': 2, 'a': 1}[op]
		if len(m.stack) < n {
			return fmt.Errorf("%w: SETITEM/APPEND on a short stack", ErrCorrupt)
		}
		items = append([]any(nil), m.stack[len(m.stack)-n:]...)
		m.stack = m.stack[:len(m.stack)-n]
	} else if items, err = m.popMark(); err != nil {
		return err
	}
	target, err := m.top()
	if err != nil {
		return err
	}
	switch t := target.(type) {
	case *pyDict:
		if op == 'a' || op == 'e' || len(items)%2 != 0 {
			return fmt.Errorf("%w: APPEND to a dict or an odd SETITEMS", ErrCorrupt)
		}
		for i := 0; i < len(items); i += 2 {
			if err := t.set(items[i], items[i+1]); err != nil {
				return err
			}
		}
	case *pyList:
		if op == 's' || op == 'u' {
			return fmt.Errorf("%w: SETITEM on a list", ErrCorrupt)
		}
		t.items = append(t.items, items...)
	default:
		return fmt.Errorf("%w: SETITEM/APPEND on %s", ErrUnsupported, typeName(target))
	}
	return nil
}

func typeName(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case string:
		return "a string"
	case int64:
		return "an integer"
	case bool:
		return "a bool"
	case pyTuple:
		return "a tuple"
	case *pyList:
		return "a list"
	case *pyDict:
		return "a dict"
	case *pyGlobal:
		return t.module + "." + t.name
	case *storageRef:
		return "a storage"
	case *Tensor:
		return "a tensor"
	}
	return fmt.Sprintf("%T", v)
}
