package testutil

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
)

// RandomBytes returns n bytes from a PCG generator seeded with seed: the same
// bytes for the same seed, incompressible, so a transfer of them is honest.
func RandomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// SHA256Hex is the lowercase hex SHA-256 of b, as manifests and ETags carry it.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
