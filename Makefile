# Two entry points: `make run` starts the desktop app, `make test` runs every
# test. Both install what is missing first (Debian packages need root).

SHELL := /bin/bash
.DEFAULT_GOAL := run

ROOT := $(abspath .)
TOOLS := $(ROOT)/.tools
TAURI_DRIVER := $(TOOLS)/bin/tauri-driver
ARTIFACTS := $(ROOT)/artifacts

# What a Tauri 2 build, its GUI tests and the peer tools in tests need.
APT_PACKAGES := build-essential pkg-config libwebkit2gtk-4.1-dev libssl-dev \
	libxdo-dev libayatana-appindicator3-dev librsvg2-dev xvfb webkit2gtk-driver \
	imagemagick openssl curl python3-venv

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench deps apt-deps npm-deps tools ui build cli app clean

run: deps build
	@echo "starting Hopscope on $${HOPSCOPE_WORKSPACE:-the default workspace}"
	$(ROOT)/target/debug/hopscope-app

test: deps build
	mkdir -p $(ARTIFACTS)
	cd ui && npm test
	HOPSCOPE_BIN=$(ROOT)/target/debug/hopscope \
	HOPSCOPE_APP_BIN=$(ROOT)/target/debug/hopscope-app \
	TAURI_DRIVER=$(TAURI_DRIVER) \
	HOPSCOPE_ARTIFACTS=$(ARTIFACTS) \
	xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --no-fail-fast

# Benchmarks are not tests: they print figures for BENCHMARKS.md.
bench: deps build
	@command -v hyperfine > /dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq hyperfine bc; }
	@command -v h2load > /dev/null && command -v nginx > /dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nghttp2-client nginx; }
	bash bench/run.sh
	bash bench/gateway.sh
	bash bench/exchanges.sh

deps: apt-deps npm-deps tools

apt-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

npm-deps: ui/node_modules/.package-lock.json

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

tools: $(TAURI_DRIVER)

$(TAURI_DRIVER):
	cargo install tauri-driver --version ^2 --locked --root $(TOOLS)

ui: npm-deps
	cd ui && npm run build

build: ui
	cargo build -p hopscope-cli -p hopscope-app

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules $(ARTIFACTS)
