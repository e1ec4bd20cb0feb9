package emulator

import (
	"encoding/json"
	"testing"
)

// FuzzParseInput feeds arbitrary job inputs to the worker-sdxl validator: it
// must never panic, and an input it accepts must be renderable.
func FuzzParseInput(f *testing.F) {
	for _, seed := range []string{
		`{"prompt":"x"}`, `{"prompt":"x","width":1001}`, `{"prompt":"x","seed":-1,"num_images":2,"width":64,"height":64}`,
		`{"prompt":"x","image_url":"data:image/png;base64,AAAA","strength":0.5}`, `{"steps":3}`, `[]`, `null`,
		`{"prompt":"x","guidance_scale":1e308,"high_noise_frac":0.8,"scheduler":"K_EULER"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, problems, err := parseInput(json.RawMessage(data))
		if err != nil || len(problems) > 0 {
			return
		}
		if in.Width%8 != 0 || in.Height%8 != 0 || in.NumImages < 1 || in.NumImages > 2 || in.steps() < 1 {
			t.Fatalf("accepted an invalid input: %+v", in)
		}
		if in.Width*in.Height > 256*256 {
			return // rendering big images is covered elsewhere; keep the fuzzer fast
		}
		if _, err := render(in, "fuzz"); err != nil {
			t.Fatal(err)
		}
	})
}
