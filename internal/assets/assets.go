// Package assets owns hybridgen's content-addressed image store: the files
// behind the canvas's image assets, kept under the server's data folder
// (data/assets by default) so that another browser opening the same
// document can show an image the first one made. A file's name is the
// SHA-256 of its bytes: the same image is stored once, a name says exactly
// what it holds, and a stored file never changes.
//
// It must not know HTTP (the api package serves it) or the ledger. It
// accepts PNG, JPEG and WebP only, decided by the bytes themselves, and
// never keeps a half-written file: a write lands in a temporary file that
// is renamed into place once its size, type and hash are checked.
//
// Entry points: [Open], then [Store.Put] and [Store.Open].
package assets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
)

// Types are the content types an asset may have, as [http.DetectContentType]
// names them.
var Types = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true}

var (
	// ErrBadHash: the name is not a SHA-256 in lower-case hex.
	ErrBadHash = errors.New("assets: not a SHA-256 in lower-case hex")
	// ErrTooLarge: the bytes are more than the store's limit.
	ErrTooLarge = errors.New("assets: too large")
	// ErrType: the bytes are not a PNG, JPEG or WebP image, or not the type declared.
	ErrType = errors.New("assets: not an accepted image type")
	// ErrHashMismatch: the bytes' SHA-256 is not the name they were sent under.
	ErrHashMismatch = errors.New("assets: the bytes do not match their SHA-256")
	// ErrNotFound: no asset has that hash.
	ErrNotFound = errors.New("assets: not found")
)

var hashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidHash reports whether s is a SHA-256 in lower-case hex, the only
// names the store has.
func ValidHash(s string) bool { return hashPattern.MatchString(s) }

// Store is a folder of assets named by their SHA-256.
type Store struct {
	dir      string
	maxBytes int64
}

// Open returns the store in dir (created when missing) that accepts
// assets of at most maxBytes.
func Open(dir string, maxBytes int64) (*Store, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("assets: the size limit must be positive, got %d", maxBytes)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("assets: create %s: %w", dir, err)
	}
	return &Store{dir: dir, maxBytes: maxBytes}, nil
}

// MaxBytes is the largest asset the store accepts.
func (s *Store) MaxBytes() int64 { return s.maxBytes }

// Put stores the bytes read from r under hash, when they are an image of
// the declared content type (one of [Types]) no larger than the limit and
// their SHA-256 is hash. created is false when the asset was already
// stored. Errors wrap [ErrBadHash], [ErrTooLarge], [ErrType] or
// [ErrHashMismatch] for bad input.
func (s *Store) Put(hash, contentType string, r io.Reader) (created bool, err error) {
	if !ValidHash(hash) {
		return false, ErrBadHash
	}
	if !Types[contentType] {
		return false, fmt.Errorf("%w: declared %q", ErrType, contentType)
	}
	tmp, err := os.CreateTemp(s.dir, ".upload-*")
	if err != nil {
		return false, fmt.Errorf("assets: temporary file: %w", err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name()) // a no-op once renamed into place
	}()
	if err := s.copyChecked(tmp, hash, contentType, r); err != nil {
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("assets: write: %w", err)
	}
	final := filepath.Join(s.dir, hash)
	if _, err := os.Stat(final); err == nil {
		return false, nil
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return false, fmt.Errorf("assets: store %s: %w", hash, err)
	}
	return true, nil
}

// copyChecked writes r to w while hashing it, and checks the size, the
// type sniffed from the first bytes and the hash.
func (s *Store) copyChecked(w *os.File, hash, contentType string, r io.Reader) error {
	sum := sha256.New()
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("assets: read: %w", err)
	}
	if got := http.DetectContentType(head[:n]); got != contentType {
		return fmt.Errorf("%w: declared %s, the bytes are %s", ErrType, contentType, got)
	}
	body := io.MultiReader(bytes.NewReader(head[:n]), r)
	written, err := io.Copy(io.MultiWriter(w, sum), io.LimitReader(body, s.maxBytes+1))
	if err != nil {
		return fmt.Errorf("assets: read: %w", err)
	}
	if written > s.maxBytes {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.maxBytes)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != hash {
		return fmt.Errorf("%w: sent as %s, the bytes hash to %s", ErrHashMismatch, hash, got)
	}
	return nil
}

// Open returns the asset named hash and its content type; the caller
// closes the file. The error wraps [ErrBadHash] or [ErrNotFound] for a
// name the store does not have.
func (s *Store) Open(hash string) (*os.File, string, error) {
	if !ValidHash(hash) {
		return nil, "", ErrBadHash
	}
	f, err := os.Open(filepath.Join(s.dir, hash))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, hash)
	}
	if err != nil {
		return nil, "", fmt.Errorf("assets: open %s: %w", hash, err)
	}
	head := make([]byte, 512)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		_ = f.Close()
		return nil, "", fmt.Errorf("assets: read %s: %w", hash, err)
	}
	return f, http.DetectContentType(head[:n]), nil
}
