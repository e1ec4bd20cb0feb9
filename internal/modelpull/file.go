package modelpull

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"hybridgen/internal/mirror"
	"hybridgen/models"
)

// partialRecord is kept beside a partial file: what it is a part of.
type partialRecord struct {
	URL            string `json:"url"`
	ETag           string `json:"etag"`
	ExpectedSHA256 string `json:"expectedSha256"`
	VerifiedBy     string `json:"verifiedBy"`
	TotalBytes     int64  `json:"totalBytes"`
}

type filePull struct {
	ctx  context.Context
	opts Options
	root *os.Root
	rel  string // <model id>/<file path>
	file models.File
	url  string
	t    *tracker
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
	h := sha256.New()
	offset, err := p.rehash(f, h, rec)
	if err != nil {
		return FileResult{}, err
	}
	var downloaded int64
	failures := 0
	for rec == nil || offset < rec.TotalBytes {
		n, newRec, newOffset, err := p.attempt(f, h, rec, offset)
		downloaded += n
		rec, offset = newRec, newOffset
		if err == nil {
			continue
		}
		var retry errRetry
		if !errors.As(err, &retry) || p.ctx.Err() != nil {
			if p.ctx.Err() != nil {
				return FileResult{}, p.ctx.Err()
			}
			return FileResult{}, err
		}
		failures++
		if failures > p.opts.MaxRetries {
			return FileResult{}, fmt.Errorf("%w (%d): %v", ErrGaveUp, failures, err)
		}
		wait := min(p.opts.Backoff<<(failures-1), 5*time.Second)
		select {
		case <-time.After(wait):
		case <-p.ctx.Done():
			return FileResult{}, p.ctx.Err()
		}
	}
	p.t.send(Update{Path: p.file.Path, FileBytes: rec.TotalBytes, FileDone: offset, State: "verifying"})
	sum := hex.EncodeToString(h.Sum(nil))
	if sum != rec.ExpectedSHA256 {
		_ = f.Close()
		_ = p.root.Remove(p.partialPath())
		_ = p.root.Remove(p.recordPath())
		return FileResult{}, fmt.Errorf("%w: got %s, %s hash is %s; the partial file was deleted", ErrIntegrity, sum, rec.VerifiedBy, rec.ExpectedSHA256)
	}
	if err := f.Sync(); err != nil {
		return FileResult{}, fmt.Errorf("sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return FileResult{}, fmt.Errorf("close: %w", err)
	}
	// The sidecar first, then the rename: a crash between them leaves a
	// sidecar for a file that is not there yet, which nobody trusts.
	if err := mirror.WriteSidecar(p.root, p.rel, mirror.Sidecar{SHA256: sum, Bytes: rec.TotalBytes}); err != nil {
		return FileResult{}, err
	}
	if err := p.root.Rename(p.partialPath(), p.rel); err != nil {
		return FileResult{}, fmt.Errorf("rename into place: %w", err)
	}
	_ = p.root.Remove(p.recordPath())
	p.t.send(Update{Path: p.file.Path, FileBytes: rec.TotalBytes, FileDone: rec.TotalBytes, State: "done"})
	p.t.fileDone(p.file.Bytes, rec.TotalBytes)
	return FileResult{Path: p.rel, Bytes: rec.TotalBytes, SHA256: sum, VerifiedBy: rec.VerifiedBy, Downloaded: downloaded}, nil
}

// alreadyThere reports a file a previous pull verified: its sidecar matches
// its size, and the pinned hash when there is one.
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
	by := "server"
	if p.file.SHA256 != nil {
		by = "pinned"
	}
	return FileResult{Path: p.rel, Bytes: s.Bytes, SHA256: s.SHA256, VerifiedBy: by, Skipped: true}, true
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

// rehash feeds the partial file's bytes to h and returns its length, or
// empties it when there is nothing to resume against.
func (p *filePull) rehash(f *os.File, h hash.Hash, rec *partialRecord) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if rec == nil || info.Size() > rec.TotalBytes {
		return 0, f.Truncate(0)
	}
	p.t.send(Update{Path: p.file.Path, FileBytes: rec.TotalBytes, FileDone: info.Size(), State: "checking"})
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, info.Size())); err != nil {
		return 0, fmt.Errorf("re-hash partial file: %w", err)
	}
	return info.Size(), nil
}

// attempt makes one request and copies what arrives. It returns the bytes
// received, the (possibly new) record and offset, and an error; errRetry
// marks network failures.
func (p *filePull) attempt(f *os.File, h hash.Hash, rec *partialRecord, offset int64) (int64, *partialRecord, int64, error) {
	restart := func() error {
		h.Reset()
		return f.Truncate(0)
	}
	req, err := http.NewRequestWithContext(p.ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return 0, rec, offset, err
	}
	req.Header.Set("Accept-Encoding", "identity") // sizes and ranges are of the stored bytes
	if offset > 0 && rec != nil {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		req.Header.Set("If-Range", rec.ETag)
	}
	resp, err := p.opts.Client.Do(req)
	if err != nil {
		return 0, rec, offset, errRetry{err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && rec != nil && offset == rec.TotalBytes:
		return 0, rec, offset, nil
	case resp.StatusCode == http.StatusPartialContent && rec != nil:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset || total != rec.TotalBytes || (resp.Header.Get("ETag") != "" && resp.Header.Get("ETag") != rec.ETag) {
			return 0, nil, 0, restart() // not the bytes we hold: start over
		}
	case resp.StatusCode == http.StatusOK:
		if offset > 0 {
			if err := restart(); err != nil {
				return 0, rec, offset, err
			}
			offset = 0
		}
		newRec, err := p.newRecord(resp)
		if err != nil {
			return 0, rec, offset, err
		}
		rec = newRec
		if err := p.writeRecord(rec); err != nil {
			return 0, rec, offset, err
		}
	case resp.StatusCode >= 500:
		return 0, rec, offset, errRetry{fmt.Errorf("%w %s", ErrHTTP, resp.Status)}
	default:
		return 0, rec, offset, fmt.Errorf("%w %s from %s", ErrHTTP, resp.Status, p.url)
	}
	p.t.send(Update{Path: p.file.Path, FileBytes: rec.TotalBytes, FileDone: offset, State: "downloading", ResumedFrom: offset})
	w := &progressWriter{f: f, h: h, offset: offset, p: p, total: rec.TotalBytes}
	n, err := io.Copy(w, io.LimitReader(resp.Body, rec.TotalBytes-offset))
	if err != nil {
		if w.writeErr != nil {
			return n, rec, w.offset, w.writeErr
		}
		return n, rec, w.offset, errRetry{fmt.Errorf("connection lost at byte %d: %w", w.offset, err)}
	}
	if w.offset < rec.TotalBytes {
		return n, rec, w.offset, errRetry{fmt.Errorf("the response ended at byte %d of %d", w.offset, rec.TotalBytes)}
	}
	return n, rec, w.offset, nil
}

// newRecord reads what a 200 response says about the file.
func (p *filePull) newRecord(resp *http.Response) (*partialRecord, error) {
	etag := resp.Header.Get("ETag")
	expected, by := "", "server"
	if p.file.SHA256 != nil {
		expected, by = *p.file.SHA256, "pinned"
	} else {
		expected = serverSHA256(resp)
	}
	if expected == "" {
		return nil, fmt.Errorf("%w: no pinned SHA-256 and the server sent none (ETag %q)", ErrUnverifiable, etag)
	}
	total := resp.ContentLength
	if total < 0 {
		if s, err := strconv.ParseInt(linkedHeader(resp, "X-Linked-Size"), 10, 64); err == nil {
			total = s
		}
	}
	if total < 0 {
		return nil, fmt.Errorf("%w: no Content-Length", ErrHTTP)
	}
	if !p.file.BytesEstimated && total != p.file.Bytes {
		return nil, fmt.Errorf("%w: the server has %d bytes, the manifest says %d", ErrSizeMismatch, total, p.file.Bytes)
	}
	if strings.HasPrefix(etag, "W/") {
		etag = "" // weak validators cannot resume a byte range
	}
	return &partialRecord{URL: p.url, ETag: etag, ExpectedSHA256: expected, VerifiedBy: by, TotalBytes: total}, nil
}

// linkedHeader finds a header on the response or on any redirect that led
// to it (Hugging Face puts X-Linked-Etag on the redirect to its CDN).
func linkedHeader(resp *http.Response, name string) string {
	for r := resp; r != nil; {
		if v := r.Header.Get(name); v != "" {
			return v
		}
		if r.Request == nil {
			break
		}
		r = r.Request.Response
	}
	return ""
}

// serverSHA256 is the SHA-256 the server announces: X-Linked-Etag, else a
// strong ETag, when it is 64 hex digits.
func serverSHA256(resp *http.Response) string {
	for _, name := range []string{"X-Linked-Etag", "ETag"} {
		v := linkedHeader(resp, name)
		if strings.HasPrefix(v, "W/") {
			continue
		}
		v = strings.ToLower(strings.Trim(v, `"`))
		if len(v) == 64 && strings.Trim(v, "0123456789abcdef") == "" {
			return v
		}
	}
	return ""
}

func parseContentRange(v string) (start, total int64, ok bool) {
	var end int64
	if _, err := fmt.Sscanf(v, "bytes %d-%d/%d", &start, &end, &total); err != nil {
		return 0, 0, false
	}
	return start, total, true
}

// progressWriter writes to the partial file and the hasher, reporting
// progress at most every 200 ms.
type progressWriter struct {
	f        *os.File
	h        hash.Hash
	p        *filePull
	offset   int64
	total    int64
	last     time.Time
	writeErr error
}

func (w *progressWriter) Write(b []byte) (int, error) {
	n, err := w.f.WriteAt(b, w.offset)
	w.h.Write(b[:n])
	w.offset += int64(n)
	if err != nil {
		w.writeErr = fmt.Errorf("write partial file: %w", err)
		return n, w.writeErr
	}
	if time.Since(w.last) >= 200*time.Millisecond {
		w.last = time.Now()
		w.p.t.send(Update{Path: w.p.file.Path, FileBytes: w.total, FileDone: w.offset, State: "downloading"})
	}
	return n, nil
}
