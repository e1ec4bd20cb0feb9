package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// FieldError is one problem in a manifest, at a JSON path such as
// "variants.wasm.files[2].sha256".
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Unwrap makes every FieldError match [ErrInvalidManifest].
func (e *FieldError) Unwrap() error { return ErrInvalidManifest }

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	sha256Pattern   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	sha1Pattern     = regexp.MustCompile(`^[0-9a-f]{40}$`)
	revisionPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// Validate checks every rule of the format (README.md in this folder) and
// returns all problems joined; each is a *[FieldError].
func (m *Manifest) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if m.SchemaVersion != SchemaVersion {
		bad("schemaVersion", "must be %d, got %d", SchemaVersion, m.SchemaVersion)
	}
	if !idPattern.MatchString(m.ID) {
		bad("id", "must be 1-64 of a-z 0-9 . _ - starting with a letter or digit, got %q", m.ID)
	}
	if strings.TrimSpace(m.DisplayName) == "" {
		bad("displayName", "must not be empty")
	}
	if strings.TrimSpace(m.License.Name) == "" {
		bad("license.name", "must not be empty")
	}
	if problem := checkBaseURL(m.BaseURL); problem != "" {
		bad("baseUrl", "%s", problem)
	}
	validatePipeline(m.Pipeline, bad)
	if len(m.Variants) == 0 {
		bad("variants", "must name at least one backend")
	}
	for name, v := range m.Variants {
		field := "variants." + name
		if !slices.Contains(Backends, name) {
			bad(field, "unknown backend (want one of %s)", strings.Join(Backends, ", "))
		}
		validateVariant(field, v, bad)
	}
	return errors.Join(errs...)
}

func validateVariant(field string, v Variant, bad func(field, format string, args ...any)) {
	r := v.Requirements
	if r.TotalBytes <= 0 || r.LargestBufferBytes < 0 || r.PeakMemoryBytes < 0 {
		bad(field+".requirements", "byte counts must not be negative and totalBytes must be positive")
	}
	if len(v.Files) == 0 {
		bad(field+".files", "must list at least one file")
	}
	var sum int64
	paths := map[string]bool{}
	for i, f := range v.Files {
		ff := fmt.Sprintf("%s.files[%d]", field, i)
		if !slices.Contains(Roles, f.Role) {
			bad(ff+".role", "unknown role %q (want one of %s)", f.Role, strings.Join(Roles, ", "))
		}
		if !cleanRelPath(f.Path) {
			bad(ff+".path", "must be a relative slash-separated path without dot segments or dotfiles, got %q", f.Path)
		}
		if paths[f.Path] {
			bad(ff+".path", "%q is listed twice", f.Path)
		}
		paths[f.Path] = true
		if f.Bytes <= 0 {
			bad(ff+".bytes", "must be positive, got %d", f.Bytes)
		}
		if f.SHA256 != nil && !sha256Pattern.MatchString(*f.SHA256) {
			bad(ff+".sha256", "must be 64 lowercase hex digits or null, got %q", *f.SHA256)
		}
		if f.GitBlobSHA1 != nil && !sha1Pattern.MatchString(*f.GitBlobSHA1) {
			bad(ff+".gitBlobSha1", "must be 40 lowercase hex digits, got %q", *f.GitBlobSHA1)
		}
		if f.GitBlobSHA1 != nil && f.BytesEstimated {
			bad(ff+".bytesEstimated", "a git blob SHA-1 pins the exact size: bytes must be exact")
		}
		validateGraph(ff+".graph", f, bad)
		if f.Source != nil {
			validateSource(ff+".source", *f.Source, bad)
		}
		sum += f.Bytes
	}
	if len(v.Files) > 0 && sum != r.TotalBytes {
		bad(field+".requirements.totalBytes", "is %d but the files add up to %d", r.TotalBytes, sum)
	}
}

func validateSource(field string, s Source, bad func(field, format string, args ...any)) {
	if strings.HasPrefix(s.URL, "npm:") {
		if name, _ := SplitNPMSource(s.URL); name == "" {
			bad(field+".url", "must be npm:<package>@<exact version>, got %q", s.URL)
		}
	} else if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad(field+".url", "must be an http(s) URL or npm:<package>@<version>, got %q", s.URL)
	}
	if !revisionPattern.MatchString(s.GitBlobSHA1) {
		bad(field+".gitBlobSha1", "must be 40 lowercase hex digits, got %q", s.GitBlobSHA1)
	}
	if !slices.Contains(Converters, s.Convert) {
		bad(field+".convert", "unknown conversion %q (want one of %s)", s.Convert, strings.Join(Converters, ", "))
	}
}

// checkBaseURL returns what is wrong with a baseUrl, or "".
func checkBaseURL(s string) string {
	if !strings.HasSuffix(s, "/") {
		return fmt.Sprintf("must end with '/', got %q", s)
	}
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return "" // a path on the app's own server (its model mirror)
	}
	if strings.HasPrefix(s, "./") {
		// Relative to where the manifest itself was loaded from.
		if rest := strings.TrimSuffix(strings.TrimPrefix(s, "./"), "/"); rest != "" && !cleanRelPath(rest) {
			return fmt.Sprintf("a relative baseUrl must be ./ or ./<clean path>/, got %q", s)
		}
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Sprintf("must be an http(s) URL or a path starting with '/', got %q", s)
	}
	// Hugging Face style: .../resolve/<revision>/ must pin a commit.
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i, seg := range segs {
		if seg == "resolve" && i+1 < len(segs) && !revisionPattern.MatchString(segs[i+1]) {
			return fmt.Sprintf("must pin a revision (a 40-hex commit), not %q", segs[i+1])
		}
	}
	return ""
}

// pipelineRule is one field of a known pipeline kind and what it must be.
type pipelineRule struct {
	field   string
	want    string
	integer bool
	min     float64 // the smallest value allowed
}

// pipelineFields are the fields of the pipeline kinds the browser runs,
// the same rules as its parsePipeline (web/packages/core/src/models/pipeline.ts).
// Any other kind (a test model's "test") is checked no further.
var pipelineFields = map[string][]pipelineRule{
	"sd-turbo": {
		{"textMaxLength", "a positive integer", true, 1},
		{"padTokenId", "a non-negative integer", true, 0},
		{"latentChannels", "a positive integer", true, 1},
		{"vaeScaleFactor", "a positive integer", true, 1},
		{"vaeScalingFactor", "a positive number", false, math.SmallestNonzeroFloat64},
		{"defaultSize", "a positive integer", true, 1},
	},
	"upscaler": {
		{"valueRange", "a positive number", false, math.SmallestNonzeroFloat64},
		{"tilePadding", "a non-negative integer", true, 0},
	},
	"segmenter": {
		{"inputSize", "a positive integer", true, 1},
		{"valueRange", "a positive number", false, math.SmallestNonzeroFloat64},
	},
}

// validatePipeline checks the pipeline block: an object with a kind, and
// for a known kind its fields.
func validatePipeline(raw json.RawMessage, bad func(field, format string, args ...any)) {
	var pipeline map[string]json.RawMessage
	if err := json.Unmarshal(raw, &pipeline); err != nil || pipeline == nil {
		bad("pipeline", "must be an object")
		return
	}
	var kind string
	if err := json.Unmarshal(pipeline["kind"], &kind); err != nil || kind == "" {
		bad("pipeline.kind", "must be a non-empty string")
		return
	}
	for _, rule := range pipelineFields[kind] {
		var v float64
		err := json.Unmarshal(pipeline[rule.field], &v)
		if err != nil || v < rule.min || (rule.integer && v != math.Trunc(v)) {
			got := string(pipeline[rule.field])
			if got == "" {
				got = "nothing"
			}
			bad("pipeline."+rule.field, "must be %s, got %s", rule.want, got)
		}
	}
}
