package modelpull

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"hybridgen/models"
)

// attempt makes one request and copies what arrives. It returns the bytes
// received, the (possibly new) record and offset, and an error; errRetry
// marks network failures.
func (p *filePull) attempt(f *os.File, d *digests, rec *partialRecord, offset int64) (int64, *partialRecord, int64, error) {
	restart := func() error {
		d.start(0)
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
	resp, err := p.client().Do(req)
	if errors.Is(err, ErrIntegrity) || errors.Is(err, ErrSizeMismatch) {
		return 0, rec, offset, err
	}
	if err != nil {
		return 0, rec, offset, errRetry{err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && rec != nil && offset == rec.TotalBytes:
		return 0, rec, offset, nil
	case resp.StatusCode == http.StatusPartialContent && rec != nil:
		if !p.sameContent(resp, rec, offset) {
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
		d.start(rec.TotalBytes)
		if err := p.writeRecord(rec); err != nil {
			return 0, rec, offset, err
		}
	case resp.StatusCode >= 500:
		return 0, rec, offset, errRetry{fmt.Errorf("%w %s", ErrHTTP, resp.Status)}
	default:
		return 0, rec, offset, fmt.Errorf("%w %s from %s", ErrHTTP, resp.Status, p.url)
	}
	p.t.send(Update{Path: p.file.Path, FileBytes: rec.TotalBytes, FileDone: offset, State: "downloading", ResumedFrom: offset})
	w := &progressWriter{f: f, d: d, offset: offset, p: p, total: rec.TotalBytes}
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

// client is the configured client, checking each redirect's announced hash
// and size against the pins before following it: a file that is not the
// pinned one is refused before its CDN is asked for a byte.
func (p *filePull) client() *http.Client {
	c := *p.opts.Client
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.Response != nil {
			if err := p.checkAnnounced(serverAnnounced(req.Response)); err != nil {
				return err
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// checkAnnounced refuses a server announcing another hash or size than the
// pinned ones.
func (p *filePull) checkAnnounced(a announced) error {
	f := p.file
	if !f.BytesEstimated && a.size != "" && a.size != strconv.FormatInt(f.Bytes, 10) {
		return p.mismatch(ErrSizeMismatch, "the server announces %s bytes (X-Linked-Size), %s says %d", a.size, p.pinSource(), f.Bytes)
	}
	if (a.sha256 != "" && f.SHA256 != nil && a.sha256 != *f.SHA256) || (a.gitBlobSHA1 != "" && f.GitBlobSHA1 != nil && a.gitBlobSHA1 != *f.GitBlobSHA1) {
		return p.mismatch(ErrIntegrity, "the server announces %s, %s pins %s", announcedText(a), p.pinSource(), pinText(f))
	}
	return nil
}

func pinText(f models.File) string {
	var parts []string
	if f.SHA256 != nil {
		parts = append(parts, "sha256 "+*f.SHA256)
	}
	if f.GitBlobSHA1 != nil {
		parts = append(parts, "git blob "+*f.GitBlobSHA1)
	}
	return strings.Join(parts, " and ")
}

// sameContent reports whether a 206 response continues the bytes rec
// describes: the range starts at offset, the total and validator match, and
// the server does not now announce another hash.
func (p *filePull) sameContent(resp *http.Response, rec *partialRecord, offset int64) bool {
	start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
	if !ok || start != offset || total != rec.TotalBytes {
		return false
	}
	if etag := resp.Header.Get("ETag"); etag != "" && etag != rec.ETag {
		return false
	}
	a := serverAnnounced(resp)
	if rec.VerifiedBy == "server" && ((a.sha256 != "" && a.sha256 != rec.ExpectedSHA256) || (a.gitBlobSHA1 != "" && a.gitBlobSHA1 != rec.ExpectedGitBlobSHA1)) {
		return false
	}
	return true
}

// newRecord reads what a 200 response says about the file and decides what
// it will be verified against: the pinned hashes, else the server's.
func (p *filePull) newRecord(resp *http.Response) (*partialRecord, error) {
	a := serverAnnounced(resp)
	total := resp.ContentLength
	if total < 0 {
		if s, err := strconv.ParseInt(a.size, 10, 64); err == nil {
			total = s
		}
	}
	if total < 0 {
		return nil, fmt.Errorf("%w: no Content-Length", ErrHTTP)
	}
	if a.size != "" && a.size != strconv.FormatInt(total, 10) {
		return nil, fmt.Errorf("%w: the server announces %s bytes (X-Linked-Size) but sends %d", ErrSizeMismatch, a.size, total)
	}
	if !p.file.BytesEstimated && total != p.file.Bytes {
		return nil, p.mismatch(ErrSizeMismatch, "the server has %d bytes, %s says %d", total, p.pinSource(), p.file.Bytes)
	}
	etag := resp.Header.Get("ETag")
	if strings.HasPrefix(etag, "W/") {
		etag = "" // weak validators cannot resume a byte range
	}
	rec := &partialRecord{URL: p.url, ETag: etag, TotalBytes: total, VerifiedBy: "server"}
	if !p.file.Pinned() {
		rec.ExpectedSHA256, rec.ExpectedGitBlobSHA1 = a.sha256, a.gitBlobSHA1
		if a.sha256 == "" && a.gitBlobSHA1 == "" {
			return nil, fmt.Errorf("%w: no pinned hash and the server announced none (ETag %q)", ErrUnverifiable, etag)
		}
		return rec, nil
	}
	rec.VerifiedBy = p.pinnedBy()
	if p.file.SHA256 != nil {
		rec.ExpectedSHA256 = *p.file.SHA256
	}
	if p.file.GitBlobSHA1 != nil {
		rec.ExpectedGitBlobSHA1 = *p.file.GitBlobSHA1
	}
	// A server announcing another hash than the pin: refuse before downloading.
	if err := p.checkAnnounced(a); err != nil {
		return nil, err
	}
	return rec, nil
}

func (p *filePull) pinSource() string {
	if p.pinnedEarlier {
		return "an earlier pull"
	}
	return "the manifest"
}

func announcedText(a announced) string {
	var parts []string
	if a.sha256 != "" {
		parts = append(parts, "sha256 "+a.sha256)
	}
	if a.gitBlobSHA1 != "" {
		parts = append(parts, "git blob "+a.gitBlobSHA1)
	}
	return strings.Join(parts, " and ")
}

func parseContentRange(v string) (start, total int64, ok bool) {
	var end int64
	if _, err := fmt.Sscanf(v, "bytes %d-%d/%d", &start, &end, &total); err != nil {
		return 0, 0, false
	}
	return start, total, true
}

// progressWriter writes to the partial file and the hashes, reporting
// progress at most every 200 ms.
type progressWriter struct {
	f        *os.File
	d        *digests
	p        *filePull
	offset   int64
	total    int64
	last     time.Time
	writeErr error
}

func (w *progressWriter) Write(b []byte) (int, error) {
	n, err := w.f.WriteAt(b, w.offset)
	w.d.Write(b[:n])
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
