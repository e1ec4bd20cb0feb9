package main

import (
	"log/slog"
	"os"

	"hybridgen/internal/demomodel"
	"hybridgen/models"
)

// realModel is the model the app opens when the mirror holds it.
const realModel = "sd-turbo"

// prepareModels installs the built-in demo model into the mirror folder (when
// asked and built in), says in the log what to do when SD-Turbo is missing,
// and returns which model the app should open by default ("" when there is
// no mirror) and whether it is the built-in demo model.
func prepareModels(opts serveOptions, logger *slog.Logger) (model string, demo bool) {
	if opts.modelsDir == "" {
		logger.Warn("no model mirror (-models-dir): browsers cannot download a model from this server; `make run` serves data/models")
		return "", false
	}
	if err := os.MkdirAll(opts.modelsDir, 0o755); err != nil {
		logger.Error("model mirror folder", "dir", opts.modelsDir, "error", err.Error())
	}
	if opts.demoModel && demomodel.Available() {
		n, err := demomodel.Install(opts.modelsDir)
		if err != nil {
			logger.Error("built-in demo model not installed", "dir", opts.modelsDir, "error", err.Error())
		} else {
			demo = true
			logger.Info("built-in demo model ready", "model", demomodel.ID, "files_written", n)
		}
	}
	sdTurbo, err := models.Lookup(realModel)
	if err == nil && demomodel.Mirrored(opts.modelsDir, sdTurbo) {
		return realModel, false
	}
	fallback := "the app cannot make images until it is there"
	if demo {
		fallback = "until then the app uses the built-in demo model (random weights: it shows the pipeline, not pictures)"
	}
	logger.Warn("no SD-Turbo in the model mirror: run `hybridgen models pull sd-turbo -dir "+opts.modelsDir+
		"` on a machine that reaches Hugging Face, or copy a mirror folder's sd-turbo/ into "+opts.modelsDir+"; "+fallback,
		"dir", opts.modelsDir)
	if demo {
		return demomodel.ID, true
	}
	return realModel, false
}
