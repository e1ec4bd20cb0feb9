package modelpull

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"hybridgen/internal/mirror"
	"hybridgen/models"
)

// partialRecord is kept beside a partial file: what it is a part of.
type partialRecord struct {
	URL                 string `json:"url"`
	ETag                string `json:"etag"`
	ExpectedSHA256      string `json:"expectedSha256"`
	ExpectedGitBlobSHA1 string `json:"expectedGitBlobSha1,omitempty"`
	VerifiedBy          string `json:"verifiedBy"`
	TotalBytes          int64  `json:"totalBytes"`
}

type filePull struct {
	ctx  context.Context
	opts Options
	root *os.Root
	rel  string // <model id>/<file path>
	file models.File
	// pinnedEarlier: the file's pins come from the mirror's manifest
	// copy (an earlier pull), not from the manifest itself.
	pinnedEarlier bool
	url           string
	t             *tracker
}

func (p *filePull) partialPath() string {
	dir, base := path.Split(p.rel)
	return dir + "." + base + ".partial"
}

func (p *filePull) recordPath() string { return p.partialPath() + ".json" }

// errRetry marks failures worth another attempt.
type errRetry struct{ err error }

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

func (p *filePull) run() (FileResult, error) {
	if res, ok := p.alreadyThere(); ok {
		p.t.send(Update{Path: p.file.Path, FileBytes: res.Bytes, FileDone: res.Bytes, State: "skipped"})
		p.t.fileDone(p.file.Bytes, res.Bytes)
		return res, nil
	}
	if err := p.root.MkdirAll(path.Dir(p.rel), 0o755); err != nil {
		return FileResult{}, fmt.Errorf("create folder: %w", err)
	}
	f, err := p.root.OpenFile(p.partialPath(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return FileResult{}, fmt.Errorf("open partial file: %w", err)
	}
	defer f.Close()
	rec := p.readRecord()
	d := newDigests()
	offset, err := p.rehash(f, d, rec)
	if err != nil {
		return FileResult{}, err
	}
	rec, offset, downloaded, err := p.download(f, d, rec, offset)
	if errors.Is(err, ErrIntegrity) || errors.Is(err, ErrSizeMismatch) || errors.Is(err, ErrUnverifiable) {
		// Refused before or while downloading: nothing of it is kept.
		_ = f.Close()
		_ = p.root.Remove(p.partialPath())
		_ = p.root.Remove(p.recordPath())
	}
	if err != nil {
		return FileResult{}, err
	}
	p.t.send(Update{Path: p.file.Path, FileBytes: rec.TotalBytes, FileDone: offset, State: "verifying"})
	sum, blob := d.sums()
	if (rec.ExpectedSHA256 != "" && sum != rec.ExpectedSHA256) || (rec.ExpectedGitBlobSHA1 != "" && blob != rec.ExpectedGitBlobSHA1) {
		_ = f.Close()
		_ = p.root.Remove(p.partialPath())
		_ = p.root.Remove(p.recordPath())
		return FileResult{}, p.mismatch(ErrIntegrity, "got sha256 %s and git blob %s, want %s (%s); the partial file was deleted",
			sum, blob, expectedText(rec), rec.VerifiedBy)
	}
	if err := f.Sync(); err != nil {
		return FileResult{}, fmt.Errorf("sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return FileResult{}, fmt.Errorf("close: %w", err)
	}
	// The sidecar first, then the rename: a crash between them leaves a
	// sidecar for a file that is not there yet, which nobody trusts.
	if err := mirror.WriteSidecar(p.root, p.rel, mirror.Sidecar{SHA256: sum, GitBlobSHA1: blob, Bytes: rec.TotalBytes}); err != nil {
		return FileResult{}, err
	}
	if err := p.root.Rename(p.partialPath(), p.rel); err != nil {
		return FileResult{}, fmt.Errorf("rename into place: %w", err)
	}
	_ = p.root.Remove(p.recordPath())
	p.t.send(Update{Path: p.file.Path, FileBytes: rec.TotalBytes, FileDone: rec.TotalBytes, State: "done"})
	p.t.fileDone(p.file.Bytes, rec.TotalBytes)
	return FileResult{Path: p.rel, Bytes: rec.TotalBytes, SHA256: sum, GitBlobSHA1: blob, VerifiedBy: rec.VerifiedBy, Downloaded: downloaded}, nil
}

// download asks until the partial file holds every byte, resuming after
// network failures with a backoff.
func (p *filePull) download(f *os.File, d *digests, rec *partialRecord, offset int64) (*partialRecord, int64, int64, error) {
	var downloaded int64
	failures := 0
	for rec == nil || offset < rec.TotalBytes {
		n, newRec, newOffset, err := p.attempt(f, d, rec, offset)
		downloaded += n
		rec, offset = newRec, newOffset
		if err == nil {
			continue
		}
		if p.ctx.Err() != nil {
			return rec, offset, downloaded, p.ctx.Err()
		}
		var retry errRetry
		if !errors.As(err, &retry) {
			return rec, offset, downloaded, err
		}
		failures++
		if failures > p.opts.MaxRetries {
			return rec, offset, downloaded, fmt.Errorf("%w (%d): %v", ErrGaveUp, failures, err)
		}
		wait := min(p.opts.Backoff<<(failures-1), 5*time.Second)
		select {
		case <-time.After(wait):
		case <-p.ctx.Done():
			return rec, offset, downloaded, p.ctx.Err()
		}
	}
	return rec, offset, downloaded, nil
}

// mismatch builds a verification error: kind (ErrIntegrity or
// ErrSizeMismatch), also wrapping ErrChangedUpstream when what the server
// has now differs from what an earlier pull verified.
func (p *filePull) mismatch(kind error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if p.pinnedEarlier {
		return fmt.Errorf("%w (%w): %s; delete the mirror's manifest.json to accept the new file", ErrChangedUpstream, kind, msg)
	}
	return fmt.Errorf("%w: %s", kind, msg)
}

func expectedText(rec *partialRecord) string {
	var parts []string
	if rec.ExpectedSHA256 != "" {
		parts = append(parts, "sha256 "+rec.ExpectedSHA256)
	}
	if rec.ExpectedGitBlobSHA1 != "" {
		parts = append(parts, "git blob "+rec.ExpectedGitBlobSHA1)
	}
	return strings.Join(parts, " and ")
}

// alreadyThere reports a file a previous pull verified: its sidecar matches
// its size, and the pinned hashes when there are some.
func (p *filePull) alreadyThere() (FileResult, bool) {
	info, err := p.root.Stat(p.rel)
	if err != nil || !info.Mode().IsRegular() {
		return FileResult{}, false
	}
	s, err := mirror.ReadSidecar(p.root, p.rel)
	if err != nil || s.Bytes != info.Size() {
		return FileResult{}, false
	}
	if p.file.SHA256 != nil && *p.file.SHA256 != s.SHA256 {
		return FileResult{}, false
	}
	if !p.file.BytesEstimated && s.Bytes != p.file.Bytes {
		return FileResult{}, false
	}
	if s.GitBlobSHA1 == "" {
		// Written by an older pull: add the git blob id once.
		if s.GitBlobSHA1, err = p.storedGitBlobSHA1(s.Bytes); err != nil || mirror.WriteSidecar(p.root, p.rel, s) != nil {
			return FileResult{}, false
		}
	}
	if p.file.GitBlobSHA1 != nil && *p.file.GitBlobSHA1 != s.GitBlobSHA1 {
		return FileResult{}, false
	}
	by := "server"
	if p.file.Pinned() {
		by = p.pinnedBy()
	}
	return FileResult{Path: p.rel, Bytes: s.Bytes, SHA256: s.SHA256, GitBlobSHA1: s.GitBlobSHA1, VerifiedBy: by, Skipped: true}, true
}

func (p *filePull) pinnedBy() string {
	if p.pinnedEarlier {
		return "earlier-pull"
	}
	return "pinned"
}

func (p *filePull) storedGitBlobSHA1(size int64) (string, error) {
	f, err := p.root.Open(p.rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return GitBlobSHA1(f, size)
}

func (p *filePull) readRecord() *partialRecord {
	b, err := p.root.ReadFile(p.recordPath())
	if err != nil {
		return nil
	}
	var r partialRecord
	if json.Unmarshal(b, &r) != nil || r.URL != p.url || r.ETag == "" || r.TotalBytes <= 0 {
		return nil
	}
	return &r
}

func (p *filePull) writeRecord(r *partialRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := p.root.WriteFile(p.recordPath(), b, 0o644); err != nil {
		return fmt.Errorf("write partial record: %w", err)
	}
	return nil
}

// rehash feeds the partial file's bytes to d and returns its length, or
// empties it when there is nothing to resume against.
func (p *filePull) rehash(f *os.File, d *digests, rec *partialRecord) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if rec == nil || info.Size() > rec.TotalBytes {
		return 0, f.Truncate(0)
	}
	p.t.send(Update{Path: p.file.Path, FileBytes: rec.TotalBytes, FileDone: info.Size(), State: "checking"})
	d.start(rec.TotalBytes)
	if _, err := io.Copy(d, io.NewSectionReader(f, 0, info.Size())); err != nil {
		return 0, fmt.Errorf("re-hash partial file: %w", err)
	}
	return info.Size(), nil
}
