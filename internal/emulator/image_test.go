package emulator

import (
	"bytes"
	"image/png"
	"testing"
)

func TestDeterministicPNGIsValidAndStable(t *testing.T) {
	t.Parallel()
	in := sdxlInput{Prompt: "p", Width: 1024, Height: 768, NumImages: 1}
	a, err := deterministicPNG(imageKey(in, 1, 0), in.Width, in.Height)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := deterministicPNG(imageKey(in, 1, 0), in.Width, in.Height)
	c, _ := deterministicPNG(imageKey(in, 2, 0), in.Width, in.Height)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("same key must give the same bytes, another key other bytes")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(a))
	if err != nil || cfg.Width != 1024 || cfg.Height != 768 {
		t.Fatalf("decode: %+v %v", cfg, err)
	}
}

// BenchmarkRender1024 reports the cost of one 1024x1024 image.
func BenchmarkRender1024(b *testing.B) {
	in := sdxlInput{Prompt: "bench", Width: 1024, Height: 1024, NumImages: 1}
	for i := 0; b.Loop(); i++ {
		if _, err := render(in, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
