# copier-mlops: the template's own commands. `make help` lists them.
# Everything installs itself: the tooling comes from requirements/dev.txt (pinned, hashed) into .venv.

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
MAKEFLAGS += --no-print-directory

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PYTHON ?= python3
# The package index generated projects install from: PIP_INDEX_URL when set, else pip's default,
# computed at run time (no registry host is written in this repository).
INDEX_URL = $(or $(PIP_INDEX_URL),$(shell $(BIN)/python -c 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)'))
# The host's Python minor version, for `make demo`, where the template supports it.
HOST_PYTHON = $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
DEMO_PYTHON ?= $(if $(filter 3.11 3.12 3.13,$(HOST_PYTHON)),$(HOST_PYTHON),3.12)
# The demo's folder and Python: `make demo DEMO_DIR=... DEMO_PYTHON=3.X` (the tests set both).
DEMO_DIR ?= demo/my-ml-project
GEN_DIR := tests/tmp
# The slow layer on two workers: the tests of the Docker engine on one, the others beside them
# (tests/conftest.py groups them). Most of their time is spent waiting on installs, builds and
# servers, so two workers finish in well under the time of one, even on two cores.
SLOW_OPTIONS ?= -n 2 --dist loadgroup --no-loadscope-reorder --durations=25
GIT_ID := -c user.name="copier-mlops" -c user.email="copier-mlops@example.com"
# Recipes find the tooling first: copier, and the poetry that generated projects' make targets call.
# USER_PATH is the caller's own, for the hints that tell what works in their shell afterwards.
USER_PATH := $(PATH)
export PATH := $(BIN):$(PATH)

.PHONY: help
help: ## List the targets and what they do
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Install the template's tooling into .venv (the other targets do it when needed)

.PHONY: test
test: $(VENV)/.installed ## Run every test: the fast layer (parallel), then the slow layer
	$(BIN)/pytest -m "not slow" -n auto
	$(BIN)/pytest -m slow $(SLOW_OPTIONS)

.PHONY: test-fast
test-fast: $(VENV)/.installed ## Run the fast layer: renders, validators, linters (no installs)
	$(BIN)/pytest -m "not slow" -n auto

.PHONY: test-slow
test-slow: $(VENV)/.installed ## Run the slow layer: install generated projects, make ci, act, updates
	$(BIN)/pytest -m slow $(SLOW_OPTIONS)

.PHONY: gen
gen: $(VENV)/.installed ## Render the template with example-answers.yml into tests/tmp (a git repository)
	rm -rf $(GEN_DIR)
	$(BIN)/copier copy --quiet --defaults --vcs-ref HEAD --data-file example-answers.yml \
		--data package_index_url="$(INDEX_URL)" . $(GEN_DIR)
	cd $(GEN_DIR) && git init --quiet --initial-branch=main && git add --all \
		&& git $(GIT_ID) commit --quiet --no-verify -m "Generate from copier-mlops"
	@echo "Rendered into $(GEN_DIR): run 'make test-setup', then 'make test-ci' (or any test-<target>)."

test-%: $(VENV)/.installed ## Run a target of the project rendered by `make gen`: test-setup, test-ci, ...
	@test -d $(GEN_DIR) || { echo "error: $(GEN_DIR) does not exist: run 'make gen' first." >&2; exit 1; }
	cd $(GEN_DIR) && $(MAKE) $*

.PHONY: demo
demo: $(VENV)/.installed ## Generate a project with default answers into demo/ and run its lifecycle
	rm -rf $(DEMO_DIR)
	@# The template's absolute path, not ".": the answers file records it, and `copier update` run
	@# inside the project resolves it from there.
	$(BIN)/copier copy --quiet --defaults --vcs-ref HEAD --data python_version=$(DEMO_PYTHON) \
		--data package_index_url="$(INDEX_URL)" "$(CURDIR)" $(DEMO_DIR)
	cd $(DEMO_DIR) && git init --quiet --initial-branch=main && git add --all \
		&& git $(GIT_ID) commit --quiet --no-verify -m "Generate from copier-mlops"
	$(MAKE) -C $(DEMO_DIR) setup
	cd $(DEMO_DIR) && git add poetry.lock && git $(GIT_ID) commit --quiet -m "Lock the dependencies"
	@# make ci ends with the image's smoke test (stage 3), which needs a Docker engine and the base
	@# image: started and built here when missing; an engine started here is stopped again at the end,
	@# one that was already running is left alone. A base image built here (no registry) stands in for
	@# the Dockerfile's pinned digest through DOCKER_BASE_IMAGE; where the registry answers, it is empty.
	@engine="$(CURDIR)/tools/docker_engine.py"; pid="$$($(BIN)/python "$$engine" start)"; \
		trap '[ -z "$$pid" ] || $(BIN)/python "$$engine" stop "$$pid"' EXIT; \
		base="$$($(BIN)/python "$$engine" base-image $(DEMO_PYTHON))"; \
		$(MAKE) -C $(DEMO_DIR) ci DOCKER_BASE_IMAGE="$$base"
	@echo
	@echo "The demo project is ready in $(DEMO_DIR), set up, committed, and passing its own CI (make ci):"
	@echo "its data is built and checked; its model trained, registered and promoted to champion; the"
	@echo "sample scored in batch into predictions/; and the champion baked into the Docker image"
	@echo "$$(basename $(DEMO_DIR)):latest, whose container answered the prediction printed above."
	@echo "Try next:"
	@echo "  cd $(DEMO_DIR)"
	@# The project's make targets call poetry: the template's own, unless the user's shell has one.
	@if ! PATH="$(USER_PATH)" command -v poetry copier >/dev/null 2>&1; then \
		echo "  export PATH=\"$(BIN):\$$PATH\"     # poetry (and copier), from the template's tooling"; fi
	@echo "  make help                          # every target of the generated project"
	@echo "  make data-check                    # the warehouse's tables and views against their contracts"
	@echo "  make mlflow-ui                     # the tracked runs and the registered champion, in MLflow's UI"
	@echo "  make serve                         # the online API with the champion, on http://127.0.0.1:8000/docs"
	@echo "  make docker-run                    # the same API from the image (needs a running Docker engine)"
	@echo "  poetry run my-ml-project settings  # the CLI, with the settings in effect"
	@echo "  make docs-serve                    # the project's docs site on http://127.0.0.1:8000"
	@if [ -z "$$(git status --porcelain)" ]; then \
		echo "  copier check-update                # whether the template has a newer version (copier update takes it)"; \
	else \
		echo "(The template has uncommitted changes: the demo records a commit that only copier's scratch copy"; \
		echo "had, so copier update cannot find it there. Commit, then run make demo again, to try updates.)"; \
	fi

.PHONY: docs
docs: $(VENV)/.installed ## Build the template's docs site into site/ (--strict)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

.PHONY: bench
bench: $(VENV)/.installed ## Measure: render; data-check on 1M rows; train; copy to champion; API and batch vs MLflow; image; drift vs Evidently; log cost
	$(BIN)/python -m benchmarks

.PHONY: lint
lint: $(VENV)/.installed ## Lint the template's own Python (ruff) and workflows (actionlint, zizmor)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/actionlint -shellcheck $(BIN)/shellcheck .github/workflows/*.yml
	$(BIN)/zizmor --offline --no-progress .github

.PHONY: lock
lock: ## Re-pin the tooling: requirements/dev.in -> requirements/dev.txt (hashed), with pip-tools
	tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp" && "$$tmp/bin/pip" install --quiet pip-tools && \
	"$$tmp/bin/pip-compile" --quiet --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements/dev.txt requirements/dev.in

.PHONY: clean
clean: ## Remove the tooling venv, scratch renders and build outputs
	rm -rf $(VENV) $(GEN_DIR) demo site .pytest_cache .ruff_cache
