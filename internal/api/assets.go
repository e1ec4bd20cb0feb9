package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"time"

	"hybridgen/internal/assets"
)

// AssetRoute is the path prefix of the canvas's image assets: an asset's
// URL is AssetRoute + its SHA-256 in hex.
const AssetRoute = "/api/assets/"

// DefaultMaxAssetBytes is the largest image asset `serve` accepts unless
// told otherwise: a 2048 px PNG with room to spare.
const DefaultMaxAssetBytes = 16 << 20

// assetCacheControl lets the browser keep an asset for a year without
// asking again: its URL names its bytes, so it never changes. private:
// guarded answers are never for shared caches.
const assetCacheControl = "private, max-age=31536000, immutable"

// AssetView is the answer of PUT /api/assets/{sha256}.
type AssetView struct {
	SHA256      string `json:"sha256"`
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
}

// handlePutAsset stores an image under its SHA-256: 201 when new, 200
// when the server had it. The body must be the image itself (PNG, JPEG or
// WebP, as its Content-Type says and its bytes show), at most the store's
// limit, and hash to the name in the path. [errorRules] answers the
// store's refusals: 413 too large, 415 not the declared image.
func (a *API) handlePutAsset(w http.ResponseWriter, r *http.Request) (int, any, error) {
	if a.assets == nil {
		return 0, nil, ErrNoAssets
	}
	hash := r.PathValue("sha256")
	if !assets.ValidHash(hash) {
		return 0, nil, fieldError("sha256", "must be a SHA-256 in lower-case hex (64 characters)")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: Content-Type %q", assets.ErrType, r.Header.Get("Content-Type"))
	}
	if r.ContentLength > a.assets.MaxBytes() {
		return 0, nil, fmt.Errorf("%w: Content-Length %d", assets.ErrTooLarge, r.ContentLength)
	}
	created, err := a.assets.Put(hash, mt, http.MaxBytesReader(w, r.Body, a.assets.MaxBytes()+1))
	switch {
	case errors.Is(err, assets.ErrHashMismatch):
		return 0, nil, fieldError("body", "does not hash to the SHA-256 in the path")
	case err != nil:
		return 0, nil, fmt.Errorf("store asset %s: %w", hash, err)
	case created:
		return http.StatusCreated, AssetView{SHA256: hash, URL: AssetRoute + hash, ContentType: mt}, nil
	}
	return http.StatusOK, AssetView{SHA256: hash, URL: AssetRoute + hash, ContentType: mt}, nil
}

// handleGetAsset answers a stored image (see [assetFile]); an unknown hash
// is 404.
func (a *API) handleGetAsset(_ http.ResponseWriter, r *http.Request) (int, any, error) {
	if a.assets == nil {
		return 0, nil, ErrNoAssets
	}
	hash := r.PathValue("sha256")
	f, contentType, err := a.assets.Open(hash)
	if err != nil {
		return 0, nil, fmt.Errorf("open asset: %w", err)
	}
	return http.StatusOK, assetFile{f: f, hash: hash, contentType: contentType}, nil
}

// assetFile is the body of GET /api/assets/{sha256}: the image with its
// type, an ETag (its hash) and a year of private caching; Range and
// If-None-Match work. It closes the file once served.
type assetFile struct {
	f                 *os.File
	hash, contentType string
}

func (b assetFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer b.f.Close()
	h := w.Header()
	h.Set("Content-Type", b.contentType)
	h.Set("Cache-Control", assetCacheControl)
	h.Set("ETag", `"`+b.hash+`"`)
	http.ServeContent(w, r, "", time.Time{}, b.f)
}
