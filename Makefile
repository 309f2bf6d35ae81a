# retro — the two set-up commands that work on a fresh machine:
#   make run    install the runtime deps into .venv and start the dashboard (localhost only)
#   make test   install the test deps (and Debian's chromium if missing), lint, run every test
# plus:
#   make bench  the import benchmark (bench/README.md); e.g. make bench BENCH_ARGS="--sizes 10k,100k"
#   make bench-load  N browser sessions on one server (bench/README.md, Load); e.g. LOAD_ARGS="--sessions 1,5"

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

.PHONY: help run share test lint chromium bench bench-load venv

help:
	@echo "make run    install runtime deps into $(VENV) and start the dashboard on http://127.0.0.1:8501"
	@echo "make share  the same for colleagues on the LAN, behind editor/viewer passcodes"
	@echo "make test   install test deps (+ Debian chromium if missing), ruff check, pytest"
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
	$(VPY) -m retro.ui --server.address 127.0.0.1

# For colleagues on the office network: binds every address and prints the link. Refuses to start
# without a way in: a company sign-in ([auth] and [access] with an editor in .streamlit/secrets.toml,
# which then replaces the passcodes) or passcodes (RETRO_EDITOR_PASSCODE / RETRO_VIEWER_PASSCODE,
# or [passcodes] in .streamlit/secrets.toml).
share: $(STAMP_RUN)
	@$(VPY) -c 'import os, sys, tomllib; from retro.access import oidc_configured, oidc_ready_to_share, passcodes; p = ".streamlit/secrets.toml"; s = tomllib.load(open(p, "rb")) if os.path.exists(p) else {}; sys.exit((0 if oidc_ready_to_share(s) else "[auth] in .streamlit/secrets.toml needs redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url, and [access] needs at least one address in editors (see .streamlit/secrets.example.toml)") if oidc_configured(s) else 0 if passcodes(os.environ, s).get("editor") else "no way in: set RETRO_EDITOR_PASSCODE (and RETRO_VIEWER_PASSCODE), or copy .streamlit/secrets.example.toml to .streamlit/secrets.toml (passcodes or a company sign-in)")'
	@IP=$$(hostname -I 2>/dev/null | awk '{print $$1}'); echo "==> share this link: http://$${IP:-<this machine>}:8501 (passcode or company sign-in required)"; \
		if [ -n "$$IP" ]; then $(VPY) -m retro.share "http://$$IP:8501"; fi
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

lint: $(STAMP_DEV)
	@echo "==> ruff check"
	$(VENV)/bin/ruff check .

test: $(STAMP_DEV) chromium
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
