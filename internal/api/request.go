package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"hybridgen/internal/ledger"
)

// Limits of POST /api/images and POST /api/drafts. They are part of the API:
// the browser client checks the same bounds before sending.
const (
	MaxImageBodyBytes  = 8 << 20 // a whole POST /api/images body
	MaxDraftBodyBytes  = 4 << 10 // a whole POST /api/drafts body
	MaxInitImageBytes  = 6 << 20 // the init_image data URI, as sent
	MaxPromptRunes     = 2000    // prompt and negative_prompt each
	MinSide, MaxSide   = 256, 2048
	SideMultiple       = 8
	DefaultSide        = 1024
	MinSteps, MaxSteps = 1, 100
	DefaultSteps       = 25
	MaxGuidance        = 30
	DefaultGuidance    = 7.5
	DefaultStrength    = 0.3
	MaxSeed            = 1<<53 - 1 // exact in a JavaScript number
)

var (
	clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	keyPattern      = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
	targetPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	initImageRE     = regexp.MustCompile(`^data:image/(png|jpeg|webp);base64,`)
)

// imageRequestWire is the JSON body of POST /api/images as sent; pointers
// tell an explicit zero from an absent field.
type imageRequestWire struct {
	Prompt         *string  `json:"prompt"`
	NegativePrompt *string  `json:"negative_prompt"`
	Width          *int     `json:"width"`
	Height         *int     `json:"height"`
	Steps          *int     `json:"steps"`
	Guidance       *float64 `json:"guidance"`
	Seed           *int64   `json:"seed"`
	InitImage      *string  `json:"init_image"`
	Strength       *float64 `json:"strength"`
	Target         *string  `json:"target"`
	ClientID       *string  `json:"client_id"`
	IdempotencyKey *string  `json:"idempotency_key"`
}

// ImageRequest is a validated POST /api/images body with defaults applied.
type ImageRequest struct {
	Prompt         string   `json:"prompt"`
	NegativePrompt string   `json:"negative_prompt,omitempty"`
	Width          int      `json:"width"`
	Height         int      `json:"height"`
	Steps          int      `json:"steps"`
	Guidance       float64  `json:"guidance"`
	Seed           *int64   `json:"seed,omitempty"` // nil: the worker picks one
	InitImage      string   `json:"init_image,omitempty"`
	Strength       *float64 `json:"strength,omitempty"`
	Target         string   `json:"target,omitempty"` // "" is the default target
	ClientID       string   `json:"client_id"`
	IdempotencyKey string   `json:"idempotency_key"`
}

// DecodeImageRequest reads and validates a POST /api/images body. Any
// failure is a *[RequestError] naming every field at fault.
func DecodeImageRequest(r io.Reader) (ImageRequest, error) {
	var w imageRequestWire
	if err := decodeJSON(r, MaxImageBodyBytes, &w); err != nil {
		return ImageRequest{}, err
	}
	re := &RequestError{}
	req := ImageRequest{
		Width: DefaultSide, Height: DefaultSide, Steps: DefaultSteps, Guidance: DefaultGuidance,
		Seed: w.Seed, Strength: w.Strength,
	}
	req.Prompt = checkPrompt(re, "prompt", w.Prompt, true)
	req.NegativePrompt = checkPrompt(re, "negative_prompt", w.NegativePrompt, false)
	checkSide(re, "width", w.Width, &req.Width)
	checkSide(re, "height", w.Height, &req.Height)
	checkSteps(re, w.Steps, &req.Steps)
	if w.Guidance != nil {
		req.Guidance = *w.Guidance
		if !(req.Guidance >= 0 && req.Guidance <= MaxGuidance) {
			re.add("guidance", fmt.Sprintf("must be between 0 and %d", MaxGuidance))
		}
	}
	if w.Seed != nil && (*w.Seed < 0 || *w.Seed > MaxSeed) {
		re.add("seed", fmt.Sprintf("must be between 0 and %d", int64(MaxSeed)))
	}
	if w.InitImage != nil {
		req.InitImage = *w.InitImage
		checkInitImage(re, req.InitImage)
	}
	if w.Strength != nil {
		switch {
		case !(*w.Strength > 0 && *w.Strength <= 1):
			re.add("strength", "must be greater than 0 and at most 1")
		case req.InitImage == "":
			re.add("strength", "applies only with init_image")
		}
	}
	if w.Target != nil {
		req.Target = *w.Target
		if !targetPattern.MatchString(req.Target) {
			re.add("target", "must be a target name (letters, digits, '.', '_' or '-')")
		}
	}
	req.ClientID = checkClientID(re, w.ClientID)
	req.IdempotencyKey = checkKey(re, w.IdempotencyKey)
	if err := re.orNil(); err != nil {
		return ImageRequest{}, err
	}
	return req, nil
}

// Hash fingerprints the request (idempotency key aside) so that a key reused
// with a different request is detected.
func (r ImageRequest) Hash() string {
	r.IdempotencyKey = ""
	b, _ := json.Marshal(r) // cannot fail: plain fields
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func checkPrompt(re *RequestError, field string, v *string, required bool) string {
	if v == nil {
		if required {
			re.add(field, "is required")
		}
		return ""
	}
	s := *v
	switch {
	case !utf8.ValidString(s):
		re.add(field, "must be valid UTF-8")
	case required && strings.TrimSpace(s) == "":
		re.add(field, "must not be empty")
	case utf8.RuneCountInString(s) > MaxPromptRunes:
		re.add(field, fmt.Sprintf("must be at most %d characters", MaxPromptRunes))
	case strings.ContainsRune(s, 0):
		re.add(field, "must not contain NUL characters")
	}
	return s
}

func checkSide(re *RequestError, field string, v *int, dst *int) {
	if v == nil {
		return
	}
	*dst = *v
	switch {
	case *v < MinSide || *v > MaxSide:
		re.add(field, fmt.Sprintf("must be between %d and %d", MinSide, MaxSide))
	case *v%SideMultiple != 0:
		re.add(field, fmt.Sprintf("must be a multiple of %d", SideMultiple))
	}
}

// checkEditSide checks a side of an edited image: any size up to MaxEditSide.
func checkEditSide(re *RequestError, field string, v *int, dst *int) {
	if v == nil {
		re.add(field, "is required for an edit")
		return
	}
	*dst = *v
	if *v < 1 || *v > MaxEditSide {
		re.add(field, fmt.Sprintf("must be between 1 and %d", MaxEditSide))
	}
}

func checkSteps(re *RequestError, v *int, dst *int) {
	if v == nil {
		return
	}
	*dst = *v
	if *v < MinSteps || *v > MaxSteps {
		re.add("steps", fmt.Sprintf("must be between %d and %d", MinSteps, MaxSteps))
	}
}

func checkInitImage(re *RequestError, s string) {
	if len(s) > MaxInitImageBytes {
		re.add("init_image", fmt.Sprintf("must be at most %d bytes", MaxInitImageBytes))
		return
	}
	m := initImageRE.FindString(s)
	if m == "" {
		re.add("init_image", "must be a data:image/png, image/jpeg or image/webp base64 URI")
		return
	}
	payload := s[len(m):]
	if payload == "" {
		re.add("init_image", "must not be empty")
		return
	}
	if _, err := base64.StdEncoding.DecodeString(payload); err != nil {
		re.add("init_image", "is not valid base64")
	}
}

func checkClientID(re *RequestError, v *string) string {
	if v == nil {
		re.add("client_id", "is required")
		return ""
	}
	if !clientIDPattern.MatchString(*v) {
		re.add("client_id", "must be 1-64 letters, digits, '.', '_', ':' or '-'")
	}
	return *v
}

func checkKey(re *RequestError, v *string) string {
	if v == nil {
		re.add("idempotency_key", "is required")
		return ""
	}
	if !keyPattern.MatchString(*v) {
		re.add("idempotency_key", "must be 1-128 printable ASCII characters without spaces")
	}
	return *v
}

// draftRequestWire is the JSON body of POST /api/drafts.
type draftRequestWire struct {
	ClientID       *string `json:"client_id"`
	IdempotencyKey *string `json:"idempotency_key"`
	Width          *int    `json:"width"`
	Height         *int    `json:"height"`
	Steps          *int    `json:"steps"`
	Model          *string `json:"model"`
	Target         *string `json:"target"`
	Task           *string `json:"task"`
}

// MaxEditSide is the longest side of an image edited on the device
// (upscaled or cut out) that POST /api/drafts records: the browser's
// upscaler stops there (8192, its canvas budget).
const MaxEditSide = 8192

// DraftRequest is a validated POST /api/drafts body: a draft the browser
// rendered locally, to be recorded at cost 0 with the cloud price avoided.
type DraftRequest struct {
	ClientID       string
	IdempotencyKey string
	Width, Height  int
	Steps          int
	Model          string // the local model, e.g. "sd-turbo"
	Target         string // the cloud target whose price was avoided; "" is the default
	// Task is what the browser made: [ledger.TaskGenerate] (a draft, the
	// default) or an edit of an image, whose width and height are the
	// output's (any size up to [MaxEditSide]).
	Task ledger.Task
}

// DecodeDraftRequest reads and validates a POST /api/drafts body.
func DecodeDraftRequest(r io.Reader) (DraftRequest, error) {
	var w draftRequestWire
	if err := decodeJSON(r, MaxDraftBodyBytes, &w); err != nil {
		return DraftRequest{}, err
	}
	re := &RequestError{}
	d := DraftRequest{Width: 512, Height: 512, Steps: 1, Model: "sd-turbo", Task: ledger.TaskGenerate}
	d.ClientID = checkClientID(re, w.ClientID)
	d.IdempotencyKey = checkKey(re, w.IdempotencyKey)
	if w.Task != nil {
		d.Task = ledger.Task(*w.Task)
		if !d.Task.Valid() {
			re.add("task", "must be generate, upscale or remove-background")
		}
	}
	if d.Task == ledger.TaskGenerate {
		checkSide(re, "width", w.Width, &d.Width)
		checkSide(re, "height", w.Height, &d.Height)
	} else {
		checkEditSide(re, "width", w.Width, &d.Width)
		checkEditSide(re, "height", w.Height, &d.Height)
	}
	checkSteps(re, w.Steps, &d.Steps)
	if w.Model != nil {
		d.Model = *w.Model
		if !targetPattern.MatchString(d.Model) {
			re.add("model", "must be 1-64 letters, digits, '.', '_' or '-'")
		}
	}
	if w.Target != nil {
		d.Target = *w.Target
		if !targetPattern.MatchString(d.Target) {
			re.add("target", "must be a target name (letters, digits, '.', '_' or '-')")
		}
	}
	if err := re.orNil(); err != nil {
		return DraftRequest{}, err
	}
	return d, nil
}
