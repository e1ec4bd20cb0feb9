package api

import (
	"errors"
	"mime"
	"net/http"
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
// limit, and hash to the name in the path.
func (a *API) handlePutAsset(w http.ResponseWriter, r *http.Request) {
	if a.assets == nil {
		writeError(w, http.StatusNotFound, CodeNotFound, "this server keeps no image assets")
		return
	}
	hash := r.PathValue("sha256")
	if !assets.ValidHash(hash) {
		writeRequestError(w, &RequestError{Fields: []FieldError{{"sha256", "must be a SHA-256 in lower-case hex (64 characters)"}}})
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !assets.Types[mt] {
		writeError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "an image asset must be image/png, image/jpeg or image/webp")
		return
	}
	if r.ContentLength > a.assets.MaxBytes() {
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "the image is larger than this server accepts")
		return
	}
	created, err := a.assets.Put(hash, mt, http.MaxBytesReader(w, r.Body, a.assets.MaxBytes()+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, assets.ErrTooLarge) || errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "the image is larger than this server accepts")
		return
	case errors.Is(err, assets.ErrType):
		writeError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "the body is not the image its Content-Type says")
		return
	case errors.Is(err, assets.ErrHashMismatch):
		writeRequestError(w, &RequestError{Fields: []FieldError{{"body", "does not hash to the SHA-256 in the path"}}})
		return
	case err != nil:
		a.log.Error("store asset", "sha256", hash, "error", err.Error())
		writeError(w, http.StatusInternalServerError, CodeInternal, "the image could not be stored")
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, AssetView{SHA256: hash, URL: AssetRoute + hash, ContentType: mt})
}

// handleGetAsset serves a stored image with its type, an ETag (its hash)
// and a year of private caching; Range and If-None-Match work.
func (a *API) handleGetAsset(w http.ResponseWriter, r *http.Request) {
	if a.assets == nil {
		writeError(w, http.StatusNotFound, CodeNotFound, "this server keeps no image assets")
		return
	}
	hash := r.PathValue("sha256")
	f, contentType, err := a.assets.Open(hash)
	switch {
	case errors.Is(err, assets.ErrBadHash), errors.Is(err, assets.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, "no such image asset")
		return
	case err != nil:
		a.log.Error("open asset", "sha256", hash, "error", err.Error())
		writeError(w, http.StatusInternalServerError, CodeInternal, "the image could not be read")
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", assetCacheControl)
	h.Set("ETag", `"`+hash+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}
