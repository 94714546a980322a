# Two commands do all the set-up on a fresh Debian 12 machine (as root, or with sudo):
#   make demo   install what is missing, start the project-local PostGIS, run the main job
#   make test   install what is missing, run the whole test suite against a real PostGIS
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
IC := $(BIN)/industry-clusters
PG_MAJOR ?= 15
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := postgresql-$(PG_MAJOR) postgresql-$(PG_MAJOR)-postgis-3 python3-venv python3-dev

.PHONY: setup system-deps venv db demo test bench lint clean

setup: system-deps venv

# apt packages, only when something is missing (no network needed on a second run).
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

venv: $(BIN)/.installed

# The project-local cluster in .pgdata/ (Unix socket only: no clash with port 5432).
db: setup
	$(IC) db start
	$(IC) db init

demo: db
	$(IC) demo run --out out

test: setup
	$(BIN)/pytest

bench: db
	$(BIN)/python benchmarks/run.py

lint: venv
	$(BIN)/ruff check .

clean:
	-$(IC) db stop
	rm -rf $(VENV) .pgdata out
