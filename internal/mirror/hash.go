package mirror

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"
)

// Sidecar is what `hybridgen models pull` records next to a verified file so
// the mirror need not hash it again: the SHA-256 of exactly Bytes bytes.
type Sidecar struct {
	SHA256 string `json:"sha256"`
	// GitBlobSHA1 is git's blob id of the same bytes (absent in sidecars
	// written before it was recorded).
	GitBlobSHA1 string `json:"gitBlobSha1,omitempty"`
	Bytes       int64  `json:"bytes"`
}

// SidecarPath names the sidecar of the file at p (slash-separated, relative
// to the folder): a dotfile beside it, which the mirror never serves.
func SidecarPath(p string) string {
	dir, base := path.Split(p)
	return dir + "." + base + ".sha256"
}

// ReadSidecar reads the sidecar of p from root. It returns an error wrapping
// fs.ErrNotExist when there is none.
func ReadSidecar(root *os.Root, p string) (Sidecar, error) {
	var s Sidecar
	b, err := root.ReadFile(SidecarPath(p))
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("mirror: sidecar of %s: %w", p, err)
	}
	if !isHexSHA256(s.SHA256) {
		return s, fmt.Errorf("mirror: sidecar of %s: bad sha256 %q", p, s.SHA256)
	}
	return s, nil
}

// WriteSidecar records s as the sidecar of p in root.
func WriteSidecar(root *os.Root, p string, s Sidecar) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := root.WriteFile(SidecarPath(p), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("mirror: write sidecar of %s: %w", p, err)
	}
	return nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// hashCache remembers each file's SHA-256 by path, size and modification
// time; a file is hashed at most once while it is unchanged, even under
// concurrent requests.
type hashCache struct {
	mu      sync.Mutex
	entries map[string]*hashEntry
}

type hashEntry struct {
	mu    sync.Mutex
	size  int64
	mtime time.Time
	sum   string
}

func newHashCache() *hashCache { return &hashCache{entries: map[string]*hashEntry{}} }

// contentHash returns the SHA-256 of the open file f at name: from the
// cache, else from a sidecar whose byte count matches, else by reading f
// (which is rewound afterwards).
func (h *Handler) contentHash(name string, f io.ReadSeeker, info fs.FileInfo) (string, error) {
	h.hashes.mu.Lock()
	e, ok := h.hashes.entries[name]
	if !ok {
		e = &hashEntry{}
		h.hashes.entries[name] = e
	}
	h.hashes.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sum != "" && e.size == info.Size() && e.mtime.Equal(info.ModTime()) {
		return e.sum, nil
	}
	sum := ""
	if s, err := ReadSidecar(h.root, name); err == nil && s.Bytes == info.Size() {
		sum = s.SHA256
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.logger.Warn("mirror: ignoring sidecar", "path", name, "err", err)
	}
	if sum == "" {
		start := time.Now()
		d := sha256.New()
		if _, err := io.Copy(d, f); err != nil {
			return "", fmt.Errorf("mirror: hash %s: %w", name, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", fmt.Errorf("mirror: rewind %s: %w", name, err)
		}
		sum = hex.EncodeToString(d.Sum(nil))
		h.logger.Info("mirror: hashed", "path", name, "bytes", info.Size(), "duration", time.Since(start).Round(time.Millisecond))
	}
	e.size, e.mtime, e.sum = info.Size(), info.ModTime(), sum
	return sum, nil
}
