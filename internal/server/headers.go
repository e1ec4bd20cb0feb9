package server

import (
	"net/http"
	"strings"
)

// HeaderPolicy decides the headers set on every response.
type HeaderPolicy struct {
	// CrossOriginIsolation sets Cross-Origin-Opener-Policy: same-origin and
	// Cross-Origin-Embedder-Policy: require-corp so pages are
	// crossOriginIsolated and WebAssembly threads can use SharedArrayBuffer.
	CrossOriginIsolation bool
	// ContentSecurityPolicy, when not empty, is sent as the
	// Content-Security-Policy header.
	ContentSecurityPolicy string
}

// DefaultContentSecurityPolicy allows only same-origin code, plus what
// onnxruntime-web needs: WebAssembly compilation and blob: workers.
const DefaultContentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self' 'wasm-unsafe-eval'; " +
	"worker-src 'self' blob:; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; " +
	"font-src 'self' data:; " +
	"connect-src 'self' data: blob:; " +
	"object-src 'none'; base-uri 'self'; frame-ancestors 'self'"

// DefaultHeaderPolicy is what `hybridgen serve` uses unless told otherwise.
func DefaultHeaderPolicy() HeaderPolicy {
	return HeaderPolicy{CrossOriginIsolation: true, ContentSecurityPolicy: DefaultContentSecurityPolicy}
}

// Apply wraps next so every response carries the policy's headers.
func (p HeaderPolicy) Apply(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Every same-origin resource may be embedded by our own isolated pages.
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if p.CrossOriginIsolation {
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		}
		if p.ContentSecurityPolicy != "" && !strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Content-Security-Policy", p.ContentSecurityPolicy)
		}
		next.ServeHTTP(w, r)
	})
}
