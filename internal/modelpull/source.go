package modelpull

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"hybridgen/internal/mirror"
	"hybridgen/internal/taesd"
	"hybridgen/internal/tfjs"
	"hybridgen/internal/tflite"
)

// Errors of converted files (a manifest file with a source); test with errors.Is.
var (
	// ErrSourceMismatch: the source's bytes do not have the pinned git blob SHA-1.
	ErrSourceMismatch = errors.New("modelpull: source git blob SHA-1 mismatch")
	// ErrConversion: the (verified) source could not be converted.
	ErrConversion = errors.New("modelpull: conversion failed")
)

// converters turn a verified source into the file the manifest lists, by
// the name in its source.convert (models.Converters).
var converters = map[string]func([]byte) ([]byte, error){
	"mediapipe-selfie-segmentation": tflite.MediaPipeSelfie,
	"taesd-decoder":                 taesd.ConvertDecoder,
	"taesd-encoder":                 taesd.ConvertEncoder,
	"upscalerjs-esrgan-slim-x2":     tfjs.ESRGANSlim(2),
	"upscalerjs-esrgan-slim-x4":     tfjs.ESRGANSlim(4),
}

// Converters lists the conversions [Pull] can make, sorted.
func Converters() []string {
	return slices.Sorted(maps.Keys(converters))
}

// maxSourceBytes bounds a source download (the TAESD decoder is 4.9 MB).
const maxSourceBytes = 256 << 20

// runConverted makes a file from its pinned source: download, check the git
// blob SHA-1, convert, check the manifest's size and pinned SHA-256, then
// install it like a downloaded file (sidecar first, then the rename).
func (p *filePull) runConverted() (FileResult, error) {
	if res, ok := p.alreadyThere(); ok {
		p.t.send(Update{Path: p.file.Path, FileBytes: res.Bytes, FileDone: res.Bytes, State: "skipped"})
		p.t.fileDone(p.file.Bytes, res.Bytes)
		return res, nil
	}
	src := p.file.Source
	convert, ok := converters[src.Convert]
	if !ok {
		return FileResult{}, fmt.Errorf("%w: no converter %q", ErrConversion, src.Convert)
	}
	raw, err := p.fetchSource()
	if err != nil {
		return FileResult{}, err
	}
	p.t.send(Update{Path: p.file.Path, FileBytes: -1, FileDone: 0, State: "verifying"})
	got, err := GitBlobSHA1(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return FileResult{}, fmt.Errorf("modelpull: hashing %s: %w", src.URL, err)
	}
	if got != src.GitBlobSHA1 {
		return FileResult{}, fmt.Errorf("%w: %s has git blob %s, the manifest pins %s", ErrSourceMismatch, src.URL, got, src.GitBlobSHA1)
	}
	out, err := convert(raw)
	if err != nil {
		return FileResult{}, fmt.Errorf("%w: %s of %s: %w", ErrConversion, src.Convert, src.URL, err)
	}
	sum := sha256.Sum256(out)
	digest := hex.EncodeToString(sum[:])
	if !p.file.BytesEstimated && int64(len(out)) != p.file.Bytes {
		return FileResult{}, fmt.Errorf("%w: the conversion wrote %d bytes, the manifest says %d", ErrSizeMismatch, len(out), p.file.Bytes)
	}
	verifiedBy := "source"
	if p.file.SHA256 != nil {
		if *p.file.SHA256 != digest {
			return FileResult{}, fmt.Errorf("%w: the conversion's SHA-256 is %s, the manifest pins %s", ErrIntegrity, digest, *p.file.SHA256)
		}
		verifiedBy = "pinned"
	}
	blob, err := GitBlobSHA1(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		return FileResult{}, fmt.Errorf("modelpull: hashing the conversion of %s: %w", src.URL, err)
	}
	if err := p.install(out, digest, blob); err != nil {
		return FileResult{}, err
	}
	p.t.send(Update{Path: p.file.Path, FileBytes: int64(len(out)), FileDone: int64(len(out)), State: "done"})
	p.t.fileDone(p.file.Bytes, int64(len(out)))
	return FileResult{Path: p.rel, Bytes: int64(len(out)), SHA256: digest, GitBlobSHA1: blob, VerifiedBy: verifiedBy, Downloaded: int64(len(raw))}, nil
}

// fetchSource downloads the source whole (it is small), retrying network
// failures and 5xx answers like the other downloads.
func (p *filePull) fetchSource() ([]byte, error) {
	for failures := 0; ; failures++ {
		raw, err := p.getSource()
		var retry errRetry
		if err == nil || !errors.As(err, &retry) || p.ctx.Err() != nil {
			if p.ctx.Err() != nil {
				return nil, p.ctx.Err()
			}
			return raw, err
		}
		if failures >= p.opts.MaxRetries {
			return nil, fmt.Errorf("%w (%d): %v", ErrGaveUp, failures+1, err)
		}
		select {
		case <-time.After(min(p.opts.Backoff<<failures, 5*time.Second)):
		case <-p.ctx.Done():
			return nil, p.ctx.Err()
		}
	}
}

func (p *filePull) getSource() ([]byte, error) {
	url := p.file.Source.URL
	if strings.HasPrefix(url, "npm:") {
		return p.getNPMSource()
	}
	req, err := http.NewRequestWithContext(p.ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := p.opts.Client.Do(req)
	if err != nil {
		return nil, errRetry{err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return nil, errRetry{fmt.Errorf("%w %s", ErrHTTP, resp.Status)}
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w %s from %s", ErrHTTP, resp.Status, url)
	}
	p.t.send(Update{Path: p.file.Path, FileBytes: resp.ContentLength, State: "downloading"})
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxSourceBytes+1))
	if err != nil {
		return nil, errRetry{fmt.Errorf("connection lost at byte %d: %w", len(raw), err)}
	}
	if len(raw) > maxSourceBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrSizeMismatch, url, maxSourceBytes)
	}
	if resp.ContentLength >= 0 && int64(len(raw)) != resp.ContentLength {
		return nil, errRetry{fmt.Errorf("the response ended at byte %d of %d", len(raw), resp.ContentLength)}
	}
	return raw, nil
}

// install writes a verified file through its partial name, its sidecar,
// then the rename: readers never see half a file.
func (p *filePull) install(data []byte, digest, blob string) error {
	if err := p.root.MkdirAll(path.Dir(p.rel), 0o755); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	f, err := p.root.OpenFile(p.partialPath(), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("open partial file: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = p.root.Remove(p.partialPath())
		return fmt.Errorf("write converted file: %w", err)
	}
	if err := mirror.WriteSidecar(p.root, p.rel, mirror.Sidecar{SHA256: digest, GitBlobSHA1: blob, Bytes: int64(len(data))}); err != nil {
		return err
	}
	if err := p.root.Rename(p.partialPath(), p.rel); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	return nil
}
