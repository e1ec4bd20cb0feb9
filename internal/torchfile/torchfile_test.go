package torchfile_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"testing"

	"hybridgen/internal/torchfile"
)

// The fixture is a real torch.save file (internal/taesd/testdata/gen.py).
const fixture = "../taesd/testdata/decoder-w8.pth"

func read(b []byte) (*torchfile.StateDict, error) {
	return torchfile.Read(bytes.NewReader(b), int64(len(b)))
}

// rezip copies the fixture's entries through edit (which may change or drop
// them by returning nil) and adds extra ones.
func rezip(t *testing.T, edit func(name string, data []byte) []byte, extra map[string][]byte) []byte {
	t.Helper()
	src, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	write := func(name string, data []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err == nil {
			_, err = w.Write(data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if data = edit(f.Name, data); data != nil {
			write(f.Name, data)
		}
	}
	for name, data := range extra {
		write(name, data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func keep(_ string, data []byte) []byte { return data }

// withPickle replaces data.pkl.
func withPickle(t *testing.T, pkl string) []byte {
	return rezip(t, func(name string, data []byte) []byte {
		if name == "decoder-w8/data.pkl" {
			return []byte(pkl)
		}
		return data
	}, nil)
}

func TestReadsATorchSaveFile(t *testing.T) {
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := read(b)
	if err != nil {
		t.Fatal(err)
	}
	first := sd.Tensors[0]
	if first.Name != "1.weight" || !slices.Equal(first.Shape, []int{8, 4, 3, 3}) || first.DType != torchfile.Float32 || len(first.Data) != 288 {
		t.Errorf("first tensor %s %v %s %d values", first.Name, first.Shape, first.DType, len(first.Data))
	}
	last := sd.Tensors[len(sd.Tensors)-1]
	if last.Name != "19.bias" || !slices.Equal(last.Data, []float32{0.5, 0.5, 0.5}) {
		t.Errorf("last tensor %s = %v, want 19.bias = [0.5 0.5 0.5] (gen.py fills it)", last.Name, last.Data)
	}
	if sd.Get("3.conv.2.weight") == nil || sd.Get("nope") != nil {
		t.Error("Get")
	}
}

// A pickle that names anything but the allow-listed globals is refused
// before anything is built, whichever opcode names it.
func TestRefusesDisallowedGlobals(t *testing.T) {
	cases := map[string]struct {
		pkl          string
		module, name string
	}{
		"GLOBAL os.system":           {"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.", "os", "system"},
		"STACK_GLOBAL builtins.eval": {"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R.", "builtins", "eval"},
		"torch.load itself":          {"\x80\x02ctorch\nload\n.", "torch", "load"},
	}
	for label, c := range cases {
		_, err := read(withPickle(t, c.pkl))
		var dg *torchfile.DisallowedGlobalError
		if !errors.As(err, &dg) || !errors.Is(err, torchfile.ErrUnsupported) || dg.Module != c.module || dg.Name != c.name {
			t.Errorf("%s: got %v, want a DisallowedGlobalError for %s.%s", label, err, c.module, c.name)
		}
	}
}

func TestRefusesWhatIsNotAStateDict(t *testing.T) {
	cases := map[string]struct {
		file []byte
		want error
	}{
		"not a zip":          {[]byte("PK but not really"), torchfile.ErrNotTorchZip},
		"zip without pickle": {rezip(t, func(name string, data []byte) []byte { return nil }, map[string][]byte{"a/b": []byte("x")}), torchfile.ErrNotTorchZip},
		"missing storage": {rezip(t, func(name string, data []byte) []byte {
			if name == "decoder-w8/data/0" {
				return nil
			}
			return data
		}, nil), torchfile.ErrCorrupt},
		"short storage": {rezip(t, func(name string, data []byte) []byte {
			if name == "decoder-w8/data/0" {
				return data[:len(data)-4]
			}
			return data
		}, nil), torchfile.ErrCorrupt},
		"big-endian":         {rezip(t, keep, map[string][]byte{"decoder-w8/byteorder": []byte("big")}), torchfile.ErrUnsupported},
		"truncated pickle":   {withPickle(t, "\x80\x02ccollections\nOrderedDict\nq\x00)R"), torchfile.ErrCorrupt},
		"unknown opcode":     {withPickle(t, "\x80\x02(i__main__\nX\n."), torchfile.ErrUnsupported},
		"root not a dict":    {withPickle(t, "\x80\x02K\x05."), torchfile.ErrUnsupported},
		"value not a tensor": {withPickle(t, "\x80\x02}q\x00X\x01\x00\x00\x00aK\x01s."), torchfile.ErrUnsupported},
		"two data.pkl":       {rezip(t, keep, map[string][]byte{"other/data.pkl": []byte(".")}), torchfile.ErrNotTorchZip},
	}
	for label, c := range cases {
		if _, err := read(c.file); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", label, err, c.want)
		}
	}
}
