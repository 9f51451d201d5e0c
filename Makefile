# semsearch: the two commands.
#   make run   set up, prepare the model, build/update the seeds index, serve the app
#   make test  set up (incl. headless Chromium), prepare the model, run the whole test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SEMSEARCH := $(VENV)/bin/semsearch
PORT ?= 8501
CORPUS ?= seeds

.PHONY: run test setup model index browser lint bench clean

# The stamp is redone when the dependency list changes; a second `make` costs nothing.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first, pinned: pip takes the local CPU wheel instead of a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

model: setup
	$(SEMSEARCH) prepare-model

index: model
	$(SEMSEARCH) update $(CORPUS)

# The launcher loads the model and opens the index while the server starts (no file watching).
run: index
	$(PY) -m semsearch.ui.serve --server.address 127.0.0.1 --server.port $(PORT)

# Debian's Chromium and a CJK font for the browser tests (a downloaded browser cannot be had here).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; then \
		apt-get update -q && apt-get install -y -q chromium fonts-wqy-microhei; \
	fi

test: model browser
	$(VENV)/bin/pytest -q

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: model
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) index/current index/gen-*
