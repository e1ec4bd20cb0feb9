# hybridgen: two commands on a fresh machine.
#   make run   installs what is missing, builds the web app and the binary, serves on :8080
#   make test  installs what is missing, then go vet, gofmt and staticcheck, go test, fuzzing, TypeScript checks,
#              unit tests, the pack test (a scratch app built on the npm pack tarballs),
#              fp16 WebGPU tests in Node (Dawn + lavapipe), the browser tests in headless
#              Chromium and the Firefox project in headless Firefox ESR
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

# Node.js: tldraw 5 (and puppeteer) need >= 22.12. When the system's node is older, make fetches
# npm's node-linux-<arch> package (the official binary) into .cache/ and puts it first on PATH for
# every recipe; npm itself then runs on it.
NODE_VERSION := 22.12.0
NODE_ARCH  := $(subst x86_64,x64,$(subst aarch64,arm64,$(shell uname -m)))
NODE_DIR   := $(CURDIR)/.cache/node-v$(NODE_VERSION)-linux-$(NODE_ARCH)
SYSTEM_NODE_OK := $(shell node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null && echo yes)
ifneq ($(SYSTEM_NODE_OK),yes)
export PATH := $(NODE_DIR)/bin:$(PATH)
NODE_DEP   := $(NODE_DIR)/bin/node
endif

BIN        := bin/hybridgen
ADDR       ?= 127.0.0.1:8080
CHROMIUM   := /usr/bin/chromium
FIREFOX    := /usr/bin/firefox-esr
WEB_DIST   := web/apps/canvas/dist
EMBED_DIR  := internal/webapp/dist
# The built-in demo model (the generated tiny test model), embedded into the binary.
DEMO_DIR   := internal/demomodel/files
DEMO_MODEL := $(DEMO_DIR)/test-tiny-sd/manifest.json
GO_SOURCES := $(shell find cmd internal -name '*.go' -not -path '*/testdata/*' 2>/dev/null)
VERSION    := $(shell git describe --always --dirty 2>/dev/null || echo dev)
# Fuzz targets run for FUZZTIME each by `make test`: package:FuzzName. A count of executions
# (`Nx`) rather than a duration: a time budget can end while the engine minimises a new input,
# which Go reports as "context deadline exceeded", a false failure on a loaded machine.
FUZZ_TARGETS := ./internal/runpod:FuzzDecodeJob ./internal/emulator:FuzzParseInput ./internal/api:FuzzDecodeImageRequest ./internal/mirror:FuzzCleanPath ./internal/torchfile:FuzzUnpickle
FUZZTIME   ?= 150000x
# staticcheck, pinned; `go run` fetches it through the Go module proxy on first use
# (then the module cache), so `make test` needs nothing installed beforehand.
STATICCHECK := go run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The Go folders gofmt checks (web/node_modules may hold Go files of others).
GO_DIRS    := cmd internal bench models

.PHONY: run test build deps node web-deps chromium firefox postgresql lavapipe web-build go-vet go-lint go-test go-fuzz web-check web-unit web-pack dawn-test browser-test firefox-test testmodels clean

MODELS_DIR ?= data/models

# Serves the app, the API (ledger in data/hybridgen.db) and the model mirror (fill it with
# `./bin/hybridgen models pull sd-turbo -dir $(MODELS_DIR)` on a machine that reaches Hugging Face;
# until then the app uses the built-in demo model, random weights).
run: build $(MODELS_DIR)/esrgan-slim/manifest.json $(MODELS_DIR)/selfie-segmentation/manifest.json
	mkdir -p $(MODELS_DIR)
	./$(BIN) serve -addr $(ADDR) -models-dir $(MODELS_DIR)

build: web-build $(BIN)

# The upscaler's weights ship in an npm package (@upscalerjs/esrgan-slim, MIT): models pull fetches
# its tarball with npm pack, checks it against the manifest and converts it to ONNX in the mirror.
# Offline (npm cannot reach its registry) the pull fails: make run says so and serves without it
# (the app's Upscale action then says the model is not on the server and how to pull it); the next
# make run tries again.
$(MODELS_DIR)/esrgan-slim/manifest.json: $(BIN) models/esrgan-slim.json
	@./$(BIN) models pull esrgan-slim -dir $(MODELS_DIR) || { \
	  echo >&2 "note: the upscaler (esrgan-slim) could not be pulled from npm: serving without it."; \
	  echo >&2 "      Upscale will say so; run 'make run' again, or '$(BIN) models pull esrgan-slim -dir $(MODELS_DIR)', once npm reaches its registry."; }

# The background remover's weights ship in an npm package too (@mediapipe/selfie_segmentation,
# Apache-2.0): same pull, same offline behaviour.
$(MODELS_DIR)/selfie-segmentation/manifest.json: $(BIN) models/selfie-segmentation.json
	@./$(BIN) models pull selfie-segmentation -dir $(MODELS_DIR) || { \
	  echo >&2 "note: the background remover (selfie-segmentation) could not be pulled from npm: serving without it."; \
	  echo >&2 "      Remove background will say so; run 'make run' again, or '$(BIN) models pull selfie-segmentation -dir $(MODELS_DIR)', once npm reaches its registry."; }

$(BIN): $(GO_SOURCES) go.mod $(wildcard go.sum) $(EMBED_DIR)/index.html $(DEMO_MODEL)
	go build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/hybridgen

# npm's node-linux-<arch> package holds the official node binary; `npm pack` fetches it with the
# system's npm (which still runs on the old node), verified against the registry's integrity.
$(NODE_DIR)/bin/node:
	@echo "node $$(node --version 2>/dev/null || echo missing) is older than $(NODE_VERSION): fetching node $(NODE_VERSION) into .cache/"
	rm -rf $(NODE_DIR) $(NODE_DIR).tmp
	mkdir -p $(NODE_DIR).tmp
	cd $(NODE_DIR).tmp && npm pack --silent node-linux-$(NODE_ARCH)@$(NODE_VERSION) >/dev/null
	tar -xzf $(NODE_DIR).tmp/node-linux-$(NODE_ARCH)-$(NODE_VERSION).tgz -C $(NODE_DIR).tmp
	mv $(NODE_DIR).tmp/package $(NODE_DIR)
	rm -rf $(NODE_DIR).tmp
	@test "$$($@ --version)" = "v$(NODE_VERSION)"

node: $(NODE_DEP)

web/node_modules/.package-lock.json: web/package-lock.json web/package.json $(NODE_DEP)
	cd web && npm ci --no-audit --no-fund
	@touch $@

web-deps: web/node_modules/.package-lock.json

# The demo model: random weights, ~3 MB, byte-identical on every run (web/tools/testmodels).
$(DEMO_MODEL): web/node_modules/.package-lock.json $(shell find web/tools/testmodels/src -name '*.ts' -not -name '*.test.ts' 2>/dev/null)
	rm -rf $(DEMO_DIR)/test-tiny-sd
	cd web && npm run --silent testmodels -- --out $(CURDIR)/$(DEMO_DIR) >/dev/null
	@test -f $@

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian's chromium"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Debian's Firefox ESR: the second browser engine of the browser tests (puppeteer-core, WebDriver BiDi).
firefox:
	@if [ ! -x $(FIREFOX) ]; then \
		echo "installing Debian's firefox-esr"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null; \
	fi

# Mesa 25 lavapipe (software Vulkan with shader-f16) from bookworm-backports into .cache/lavapipe.
lavapipe:
	web/tools/dawn-f16/install-lavapipe.sh

# PostgreSQL for the ledger tests: they start a throwaway cluster of their own
# (initdb in a temp dir), so only the binaries are needed, not a running server.
postgresql:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing Debian's postgresql"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

deps: web-deps chromium firefox postgresql

web-build: web-deps
	cd web && npm run build
	find $(EMBED_DIR) -mindepth 1 -not -name .gitkeep -delete
	cp -R $(WEB_DIST)/. $(EMBED_DIR)/

$(EMBED_DIR)/index.html:
	$(MAKE) web-build

go-vet:
	go vet ./...

# gofmt -l must list nothing; staticcheck with its default checks.
go-lint:
	@unformatted="$$(gofmt -l $(GO_DIRS))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: run gofmt -w on:"; echo "$$unformatted"; exit 1; fi
	$(STATICCHECK) ./...

# HYBRIDGEN_TEST_PG=1: the PostgreSQL half of the ledger tests must run (a
# missing PostgreSQL fails them instead of skipping).
go-test: postgresql
	HYBRIDGEN_TEST_PG=1 go test -count=1 ./...

go-fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

web-check: web-deps
	cd web && npm run check

web-unit: web-deps
	cd web && npm run test:unit

# The packages as published: npm pack each of web/packages/* (prepack builds its dist), then
# type-check and vite build a scratch app in a temp folder against the tarballs (offline).
web-pack: web-deps
	cd web && npm run test:pack

# fp16 (shader-f16) WebGPU tests in Node: Dawn over lavapipe.
dawn-test: web-deps lavapipe
	cd web && npm run test:dawn

# The tiny SD-Turbo-shaped test model into web/tests/.build/models (the browser tests' global setup does this too).
testmodels: web-deps
	cd web && npm run testmodels

browser-test: deps build
	cd web && HYBRIDGEN_BIN=$(CURDIR)/$(BIN) npm run test:browser

# The browser tests that exercise different code in Firefox ESR; WebGPU there runs over lavapipe (shader-f16).
firefox-test: deps build lavapipe
	cd web && HYBRIDGEN_BIN=$(CURDIR)/$(BIN) npm run test:firefox

test: deps go-vet go-lint build go-test go-fuzz web-check web-unit web-pack dawn-test browser-test firefox-test
	@echo "make test: all checks passed"

clean:
	rm -rf bin $(WEB_DIST) web/tests/.build web/tools/testmodels/dist $(DEMO_DIR)/test-tiny-sd
	find $(EMBED_DIR) -mindepth 1 -not -name .gitkeep -delete
