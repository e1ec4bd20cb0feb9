package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
)

// imageKey hashes everything that shapes image number index of a job, so
// equal inputs give byte-identical PNGs and different ones differ.
func imageKey(in sdxlInput, seed int64, index int) [32]byte {
	in.Seed = &seed
	data, _ := json.Marshal(struct {
		In    sdxlInput
		Index int
	}{in, index})
	return sha256.Sum256(data)
}

// deterministicPNG draws a cheap pattern derived from key: a 16-colour
// palette and tiles whose colour is a function of their position. A
// paletted image at BestSpeed encodes a 1024x1024 PNG in milliseconds.
func deterministicPNG(key [32]byte, width, height int) ([]byte, error) {
	pal := make(color.Palette, 16)
	for i := range pal {
		pal[i] = color.RGBA{R: key[i] ^ byte(i*16), G: key[i+16] ^ byte(i*9), B: key[(i*7)%32] ^ byte(255-i*16), A: 255}
	}
	img := image.NewPaletted(image.Rect(0, 0, width, height), pal)
	tile := 8 << (key[0] % 4) // 8, 16, 32 or 64 px
	a := uint32(binary.LittleEndian.Uint16(key[1:])) | 1
	b := uint32(binary.LittleEndian.Uint16(key[3:])) | 1
	c := binary.LittleEndian.Uint32(key[5:])
	for y := 0; y < height; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+width]
		if y%tile != 0 {
			copy(row, img.Pix[(y-1)*img.Stride:(y-1)*img.Stride+width])
			continue
		}
		ty := uint32(y / tile)
		for x := range row {
			tx := uint32(x / tile)
			row[x] = byte((tx*a + ty*b + (tx^ty)*c + (tx*ty)>>1) >> 3 & 15)
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
