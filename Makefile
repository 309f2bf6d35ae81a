# retro — the two set-up commands that work on a fresh machine:
#   make run    install the runtime deps into .venv and start the dashboard (localhost only)
#   make test   install the test deps (and Debian's chromium and postgresql if missing), lint, run every test
# plus:
#   make bench  the import benchmark (bench/README.md); e.g. make bench BENCH_ARGS="--sizes 10k,100k"
#   make bench-load  N browser sessions on one server (bench/README.md, Load); e.g. LOAD_ARGS="--sessions 1,5"
#   make bench-ui    each page's main interactions in chromium against a bare Streamlit app (bench/README.md)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
VPY := $(VENV)/bin/python
PIP := $(VPY) -m pip install --quiet --disable-pip-version-check
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
CHROMIUM := /usr/bin/chromium
BENCH_ARGS ?=
LOAD_ARGS ?=
UI_ARGS ?=

.PHONY: help run share test lint chromium postgresql bench bench-load bench-ui venv

help:
	@echo "make run    install runtime deps into $(VENV) and start the dashboard on http://127.0.0.1:8501"
	@echo "make share  the same for colleagues on the LAN, over HTTPS, behind editor/viewer passcodes"
	@echo "make test   install test deps (+ Debian chromium and postgresql if missing), ruff check, pytest"
	@echo "make bench  import benchmark (BENCH_ARGS='--sizes 10k,100k' to restrict)"
	@echo "make bench-load  load test: 1/5/10/20 browser sessions on one server (LOAD_ARGS='--sessions 1,5 --rounds 2')"

venv: $(VPY)

$(VPY):
	@test -n "$(PYTHON)" || { echo "error: python3.11 (or python3) not found on PATH" >&2; exit 1; }
	@echo "==> creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	$(PYTHON) -m venv $(VENV)

# A stamp is newer than the requirements files it installed; pip runs again only when one changes.
$(STAMP_RUN): requirements.txt | $(VPY)
	@echo "==> installing runtime dependencies (requirements.txt)"
	$(PIP) -r requirements.txt
	@touch $@

$(STAMP_DEV): requirements-dev.txt requirements.txt | $(VPY)
	@echo "==> installing test dependencies (requirements-dev.txt)"
	$(PIP) -r requirements-dev.txt
	@touch $@

run: $(STAMP_RUN)
	@echo "==> starting retro on http://127.0.0.1:8501 (Ctrl+C to stop)"
	@# bound to loopback, retro.ui answers to localhost/127.0.0.1 only (server.allowedHosts)
	$(VPY) -m retro.ui --server.address 127.0.0.1

# For colleagues on the office network: binds every address, serves HTTPS (a certificate made in
# data/tls/ for the LAN address, or RETRO_TLS_CERT/RETRO_TLS_KEY) and prints the link, its QR code and
# the certificate's fingerprint. retro.ui refuses to start without a way in that is safe to share: a
# company sign-in ([auth] and [access] with an editor in .streamlit/secrets.toml, which then replaces
# the passcodes) or passcodes (RETRO_EDITOR_PASSCODE / RETRO_VIEWER_PASSCODE, or [passcodes] in
# .streamlit/secrets.toml) of at least 6 characters, editor and viewer different.
share: $(STAMP_RUN)
	$(VPY) -m retro.ui --server.address 0.0.0.0 --server.port 8501

# Playwright drives Debian's chromium; install it when missing (sudo only when not root).
chromium:
	@if [ -x $(CHROMIUM) ]; then \
		echo "==> chromium present ($(CHROMIUM))"; \
	else \
		echo "==> installing Debian's chromium (apt-get)"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; \
		elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
		else echo "error: $(CHROMIUM) missing and neither root nor sudo available to install it" >&2; exit 1; fi; \
		$$SUDO apt-get update -qq; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		test -x $(CHROMIUM) || { echo "error: chromium installed but $(CHROMIUM) not found" >&2; exit 1; }; \
	fi

# The PostgreSQL tests start a throwaway server from Debian's binaries (tests/postgres_support.py);
# install them when missing, like chromium. The package's own cluster is not used.
postgresql:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "==> postgresql present ($$(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' '))"; \
	else \
		echo "==> installing Debian's postgresql (apt-get)"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; \
		elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
		else echo "error: PostgreSQL missing and neither root nor sudo available to install it" >&2; exit 1; fi; \
		$$SUDO apt-get update -qq; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "error: postgresql installed but no initdb in /usr/lib/postgresql/*/bin" >&2; exit 1; }; \
	fi

lint: $(STAMP_DEV)
	@echo "==> ruff check"
	$(VENV)/bin/ruff check .

test: $(STAMP_DEV) chromium postgresql
	@echo "==> ruff check"
	$(VENV)/bin/ruff check .
	@echo "==> pytest"
	@# DuckDB's bindings (nanobind) list "leaked" type objects at interpreter exit: noise, not a failure.
	$(VPY) -m pytest 2> >(grep -v -E '^(nanobind: |  ?- leaked | - \.\.\. skipped remainder|See https://nanobind)' >&2)
	@echo "==> all checks passed"

bench: $(STAMP_DEV)
	@echo "==> import benchmark (bench/README.md)"
	$(VPY) bench/bench_import.py $(BENCH_ARGS)

bench-load: $(STAMP_DEV) chromium
	@echo "==> load test (bench/README.md, Load): browser sessions on one server with 1M stored values"
	$(VPY) bench/bench_load.py $(LOAD_ARGS)

bench-ui: $(STAMP_DEV) chromium
	@echo "==> interaction benchmark (bench/README.md, session 10): retro against a bare Streamlit app, in chromium"
	$(VPY) bench/bench_ui.py $(UI_ARGS)
