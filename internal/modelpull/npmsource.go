package modelpull

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"hybridgen/models"
)

// npmTarballName is the file name `npm pack <spec>` writes for an exact
// "npm:<name>@<version>" source: "@scope/name" becomes "scope-name".
func npmTarballName(spec string) string {
	name, version := models.SplitNPMSource(spec)
	return strings.ReplaceAll(strings.TrimPrefix(name, "@"), "/", "-") + "-" + version + ".tgz"
}

// getNPMSource returns the published tarball of an "npm:" source: from
// Options.NPMPacks when set (where `npm pack` already left it), else by
// running `npm pack` (npm's own registry settings, cache and proxy) into
// a temporary folder.
func (p *filePull) getNPMSource() ([]byte, error) {
	spec := p.file.Source.URL
	file := npmTarballName(spec)
	if p.opts.NPMPacks != "" {
		raw, err := os.ReadFile(filepath.Join(p.opts.NPMPacks, file))
		if err != nil {
			return nil, fmt.Errorf("modelpull: npm source %s: %w", spec, err)
		}
		return raw, nil
	}
	dir, err := os.MkdirTemp("", "hybridgen-npm-")
	if err != nil {
		return nil, fmt.Errorf("modelpull: npm source %s: %w", spec, err)
	}
	defer os.RemoveAll(dir)
	p.t.send(Update{Path: p.file.Path, FileBytes: -1, State: "downloading"})
	if err := runNPMPack(p.ctx, strings.TrimPrefix(spec, "npm:"), dir); err != nil {
		return nil, errRetry{err}
	}
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, fmt.Errorf("modelpull: npm pack %s left no %s: %w", spec, file, err)
	}
	return raw, nil
}

// runNPMPack fetches a published package's tarball with npm itself.
func runNPMPack(ctx context.Context, spec, dir string) error {
	cmd := exec.CommandContext(ctx, "npm", "pack", spec, "--pack-destination", dir, "--silent", "--ignore-scripts")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm pack %s: %w: %s", spec, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
