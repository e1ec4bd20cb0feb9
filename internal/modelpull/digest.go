package modelpull

import (
	"crypto/sha1" //nolint:gosec // git's blob id is SHA-1; it checks what Hugging Face publishes, SHA-256 is computed too
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
)

// digests hashes a file's bytes twice at once: SHA-256, and git's blob
// SHA-1 (sha1 of "blob <size>\x00" and the bytes), which is what Hugging
// Face publishes for files kept out of LFS.
type digests struct {
	sha256 hash.Hash
	sha1   hash.Hash
}

func newDigests() *digests { return &digests{sha256: sha256.New(), sha1: sha1.New()} }

// start empties both hashes for a file of size bytes.
func (d *digests) start(size int64) {
	d.sha256.Reset()
	d.sha1.Reset()
	fmt.Fprintf(d.sha1, "blob %d\x00", size)
}

func (d *digests) Write(b []byte) (int, error) {
	d.sha256.Write(b)
	d.sha1.Write(b)
	return len(b), nil
}

// sums returns the lowercase hex SHA-256 and git blob SHA-1.
func (d *digests) sums() (sha256Hex, gitBlobSHA1 string) {
	return hex.EncodeToString(d.sha256.Sum(nil)), hex.EncodeToString(d.sha1.Sum(nil))
}

// GitBlobSHA1 returns git's blob id of the size bytes r yields.
func GitBlobSHA1(r io.Reader, size int64) (string, error) {
	d := newDigests()
	d.start(size)
	if _, err := io.Copy(d.sha1, r); err != nil {
		return "", err
	}
	_, sum := d.sums()
	return sum, nil
}

// linkedHeader finds a header on the first response of the redirect chain
// that led to resp which has it: Hugging Face's own answer (which carries
// X-Linked-Etag and the hash ETag) comes before its CDN's.
func linkedHeader(resp *http.Response, name string) string {
	var chain []*http.Response
	for r := resp; r != nil; {
		chain = append(chain, r)
		if r.Request == nil {
			break
		}
		r = r.Request.Response
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if v := chain[i].Header.Get(name); v != "" {
			return v
		}
	}
	return ""
}

// announced is what a server says about a file's content.
type announced struct {
	sha256      string // X-Linked-Etag or a strong ETag of 64 hex digits
	gitBlobSHA1 string // a strong ETag of 40 hex digits (Hugging Face, non-LFS)
	size        string // X-Linked-Size, as sent
}

// serverAnnounced reads the hashes a server announces, Hugging Face style:
// on the response or on a redirect that led to it.
func serverAnnounced(resp *http.Response) announced {
	var a announced
	for _, name := range []string{"X-Linked-Etag", "ETag"} {
		v := linkedHeader(resp, name)
		if strings.HasPrefix(v, "W/") {
			continue
		}
		v = strings.ToLower(strings.Trim(v, `"`))
		switch {
		case a.sha256 == "" && isHex(v, 64):
			a.sha256 = v
		case a.gitBlobSHA1 == "" && isHex(v, 40):
			a.gitBlobSHA1 = v
		}
	}
	a.size = linkedHeader(resp, "X-Linked-Size")
	return a
}

func isHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == ""
}
