package api

import (
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"hybridgen/internal/jobs"
	"hybridgen/internal/ledger"
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

// DecodeImageRequest reads and validates a POST /api/images body. Any
// failure is a *[RequestError] naming every field at fault.
func DecodeImageRequest(r io.Reader) (jobs.ImageRequest, error) {
	var w imageRequestWire
	if err := decodeJSON(r, jobs.MaxImageBodyBytes, &w); err != nil {
		return jobs.ImageRequest{}, err
	}
	re := &RequestError{}
	req := jobs.ImageRequest{
		Width: jobs.DefaultSide, Height: jobs.DefaultSide, Steps: jobs.DefaultSteps, Guidance: jobs.DefaultGuidance,
		Seed: w.Seed, Strength: w.Strength,
	}
	req.Prompt = checkPrompt(re, "prompt", w.Prompt, true)
	req.NegativePrompt = checkPrompt(re, "negative_prompt", w.NegativePrompt, false)
	checkSide(re, "width", w.Width, &req.Width)
	checkSide(re, "height", w.Height, &req.Height)
	checkSteps(re, w.Steps, &req.Steps)
	if w.Guidance != nil {
		req.Guidance = *w.Guidance
		if !(req.Guidance >= 0 && req.Guidance <= jobs.MaxGuidance) {
			re.add("guidance", fmt.Sprintf("must be between 0 and %d", jobs.MaxGuidance))
		}
	}
	if w.Seed != nil && (*w.Seed < 0 || *w.Seed > jobs.MaxSeed) {
		re.add("seed", fmt.Sprintf("must be between 0 and %d", int64(jobs.MaxSeed)))
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
		return jobs.ImageRequest{}, err
	}
	return req, nil
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
	case utf8.RuneCountInString(s) > jobs.MaxPromptRunes:
		re.add(field, fmt.Sprintf("must be at most %d characters", jobs.MaxPromptRunes))
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
	case *v < jobs.MinSide || *v > jobs.MaxSide:
		re.add(field, fmt.Sprintf("must be between %d and %d", jobs.MinSide, jobs.MaxSide))
	case *v%jobs.SideMultiple != 0:
		re.add(field, fmt.Sprintf("must be a multiple of %d", jobs.SideMultiple))
	}
}

// checkEditSide checks a side of an edited image: any size up to jobs.MaxEditSide.
func checkEditSide(re *RequestError, field string, v *int, dst *int) {
	if v == nil {
		re.add(field, "is required for an edit")
		return
	}
	*dst = *v
	if *v < 1 || *v > jobs.MaxEditSide {
		re.add(field, fmt.Sprintf("must be between 1 and %d", jobs.MaxEditSide))
	}
}

func checkSteps(re *RequestError, v *int, dst *int) {
	if v == nil {
		return
	}
	*dst = *v
	if *v < jobs.MinSteps || *v > jobs.MaxSteps {
		re.add("steps", fmt.Sprintf("must be between %d and %d", jobs.MinSteps, jobs.MaxSteps))
	}
}

func checkInitImage(re *RequestError, s string) {
	if len(s) > jobs.MaxInitImageBytes {
		re.add("init_image", fmt.Sprintf("must be at most %d bytes", jobs.MaxInitImageBytes))
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
	MadeAt         *string `json:"made_at"`
}

// DecodeDraftRequest reads and validates a POST /api/drafts body.
func DecodeDraftRequest(r io.Reader) (jobs.DraftRequest, error) {
	var w draftRequestWire
	if err := decodeJSON(r, jobs.MaxDraftBodyBytes, &w); err != nil {
		return jobs.DraftRequest{}, err
	}
	re := &RequestError{}
	d := jobs.DraftRequest{Width: 512, Height: 512, Steps: 1, Model: "sd-turbo", Task: ledger.TaskGenerate}
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
	if w.MadeAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *w.MadeAt)
		if err != nil {
			re.add("made_at", "must be an RFC 3339 time, e.g. 2026-12-02T10:04:05.123Z")
		}
		d.MadeAt = t
	}
	if err := re.orNil(); err != nil {
		return jobs.DraftRequest{}, err
	}
	return d, nil
}
