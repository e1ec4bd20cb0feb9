package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// sdxlInput is worker-sdxl's input with its defaults applied.
type sdxlInput struct {
	Prompt                string  `json:"prompt"`
	NegativePrompt        string  `json:"negative_prompt"`
	Height                int     `json:"height"`
	Width                 int     `json:"width"`
	Seed                  *int64  `json:"seed"`
	Scheduler             string  `json:"scheduler"`
	NumInferenceSteps     int     `json:"num_inference_steps"`
	RefinerInferenceSteps int     `json:"refiner_inference_steps"`
	GuidanceScale         float64 `json:"guidance_scale"`
	Strength              float64 `json:"strength"`
	ImageURL              string  `json:"image_url"`
	NumImages             int     `json:"num_images"`
	HighNoiseFrac         float64 `json:"high_noise_frac"`
}

// sdxlOutput is worker-sdxl's output.
type sdxlOutput struct {
	Images   []string `json:"images"`
	ImageURL string   `json:"image_url"`
	Seed     int64    `json:"seed"`
}

// schedulers are the names worker-sdxl's make_scheduler knows.
var schedulers = []string{"PNDM", "KLMS", "DDIM", "K_EULER", "K_EULER_ANCESTRAL", "DPMSolverMultistep", "DPMSolverSinglestep"}

// fieldTypes is worker-sdxl's INPUT_SCHEMA: field name to Python type.
var fieldTypes = map[string]string{
	"prompt": "str", "negative_prompt": "str", "height": "int", "width": "int", "seed": "int",
	"scheduler": "str", "num_inference_steps": "int", "refiner_inference_steps": "int",
	"guidance_scale": "float", "strength": "float", "image_url": "str", "num_images": "int",
	"high_noise_frac": "float",
}

// parseInput applies worker-sdxl's defaults and validation. Problems with
// the input (unknown fields, wrong types, values the pipeline would reject)
// come back as messages: the job is accepted and then fails, as on RunPod.
// Only an input that is not a JSON object is an error (HTTP 400).
func parseInput(raw json.RawMessage) (sdxlInput, []string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return sdxlInput{}, nil, errors.New("input must be a JSON object")
	}
	in := sdxlInput{Height: 1024, Width: 1024, Scheduler: "DDIM", NumInferenceSteps: 25,
		RefinerInferenceSteps: 50, GuidanceScale: 7.5, Strength: 0.3, NumImages: 1}
	var problems []string
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := bytes.TrimSpace(fields[k])
		typ, known := fieldTypes[k]
		switch {
		case !known:
			problems = append(problems, fmt.Sprintf("Unexpected input. %s is not a valid input option.", k))
			continue
		case string(v) == "null":
			continue
		}
		if msg := checkType(k, typ, v); msg != "" {
			problems = append(problems, msg)
			continue
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		_ = json.Unmarshal(one, &in)
	}
	if len(problems) == 0 {
		problems = append(problems, in.check()...)
	}
	return in, problems, nil
}

// checkType mimics RunPod's validator message for a value of the wrong type.
func checkType(name, typ string, v json.RawMessage) string {
	got := "dict"
	switch {
	case len(v) > 0 && v[0] == '"':
		got = "str"
	case len(v) > 0 && v[0] == '[':
		got = "list"
	case string(v) == "true" || string(v) == "false":
		got = "bool"
	case len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')):
		got = "int"
		if bytes.ContainsAny(v, ".eE") {
			got = "float"
		}
	}
	if got == typ || (typ == "float" && got == "int") {
		if got == "int" {
			var n int64
			if json.Unmarshal(v, &n) != nil {
				return fmt.Sprintf("%s is out of range.", name)
			}
		}
		return ""
	}
	return fmt.Sprintf("%s should be %s type, not %s.", name, typ, got)
}

// check rejects what worker-sdxl's validator or the diffusers pipeline
// would.
func (in sdxlInput) check() []string {
	var p []string
	if strings.TrimSpace(in.Prompt) == "" {
		p = append(p, "prompt is required.")
	}
	if in.NumImages < 1 || in.NumImages > 2 {
		p = append(p, "num_images does not meet the constraints.")
	}
	if in.Width%8 != 0 || in.Height%8 != 0 || in.Width < 64 || in.Height < 64 || in.Width > 2048 || in.Height > 2048 {
		p = append(p, fmt.Sprintf("`height` and `width` have to be divisible by 8 and between 64 and 2048 but are %d and %d.", in.Height, in.Width))
	}
	if in.NumInferenceSteps < 1 || in.NumInferenceSteps > 500 {
		p = append(p, "num_inference_steps must be between 1 and 500.")
	}
	if in.RefinerInferenceSteps < 0 || in.RefinerInferenceSteps > 500 {
		p = append(p, "refiner_inference_steps must be between 0 and 500.")
	}
	if in.Strength < 0 || in.Strength > 1 {
		p = append(p, fmt.Sprintf("The value of strength should in [0.0, 1.0] but is %v.", in.Strength))
	}
	if in.HighNoiseFrac < 0 || in.HighNoiseFrac > 1 {
		p = append(p, "high_noise_frac must be between 0 and 1.")
	}
	if in.GuidanceScale < 0 || math.IsInf(in.GuidanceScale, 0) {
		p = append(p, "guidance_scale must not be negative.")
	}
	if !slices.Contains(schedulers, in.Scheduler) {
		p = append(p, fmt.Sprintf("Unexpected error: '%s'", in.Scheduler))
	}
	if in.ImageURL != "" {
		if msg := checkImageURL(in.ImageURL); msg != "" {
			p = append(p, msg)
		}
	}
	return p
}

// checkImageURL accepts http(s) URLs (not fetched) and base64 data URIs.
func checkImageURL(u string) string {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		return ""
	}
	meta, data, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !strings.HasPrefix(u, "data:") || !ok || !strings.HasSuffix(meta, ";base64") {
		return "image_url must be an http(s) URL or a base64 data URI."
	}
	if _, err := base64.StdEncoding.DecodeString(data); err != nil {
		return "image_url data URI is not valid base64."
	}
	return ""
}

// steps is what the execution time scales with: base steps for txt2img,
// refiner steps × strength for img2img (which runs only the refiner).
func (in sdxlInput) steps() int {
	if in.ImageURL != "" {
		return max(1, int(math.Round(float64(in.RefinerInferenceSteps)*in.Strength)))
	}
	return in.NumInferenceSteps
}

func joinProblems(p []string) string { return strings.Join(p, " ") }

// render makes the job's output: NumImages deterministic PNG data URIs.
// Like worker-sdxl, a missing seed becomes a random one in [0, 65535].
func render(in sdxlInput, jobID string) (*sdxlOutput, error) {
	seed := int64(rand.IntN(1 << 16))
	if in.Seed != nil {
		seed = *in.Seed
	}
	out := &sdxlOutput{Seed: seed}
	for i := range in.NumImages {
		png, err := deterministicPNG(imageKey(in, seed, i), in.Width, in.Height)
		if err != nil {
			return nil, fmt.Errorf("render image %d of job %s: %w", i, jobID, err)
		}
		out.Images = append(out.Images, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(png))
	}
	out.ImageURL = out.Images[0]
	return out, nil
}
