# anshin: `make run` starts the whole service locally, `make test` runs every test.
# Each target installs what it needs first (virtual environments, the Lambda layer).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
LOCAL_VENV := .venv-local
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
LAYER := .build/layer
LOCAL_LAYER := .build/layer-local
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
# Node 20 is past end-of-life for jsii: that banner has its own switch (the major version).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1
# The anshin package lives in the layer source, anshin_local in the local-only layer's; tools
# (local, seeding) import them from there.
export PYTHONPATH := layers/shared:layers/local

# A stamp whose environment is gone (deleted by hand, half-copied) is no proof of anything.
ifeq ($(wildcard $(PY)),)
$(shell rm -f $(VENV)/.installed)
endif
ifeq ($(wildcard $(LOCAL_VENV)/bin/python),)
$(shell rm -f $(LOCAL_VENV)/.installed)
endif

ifeq ($(wildcard web/node_modules/htm/package.json),)
$(shell rm -f web/node_modules/.installed)
endif
ifeq ($(wildcard .build/web/index.html),)
$(shell rm -f .build/web.built)
endif

ANSHIN_SOURCES := $(shell find layers/shared/anshin -name '*.py' 2>/dev/null)
ANSHIN_LOCAL_SOURCES := $(shell find layers/local/anshin_local -name '*.py' 2>/dev/null)

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip sync --quiet --python $(PY) requirements.lock
	touch $@

$(LOCAL_VENV)/.installed: local/requirements.lock $(VENV)/.installed
	test -x $(LOCAL_VENV)/bin/python || $(PYTHON) -m venv $(LOCAL_VENV)
	$(UV) pip sync --quiet --python $(LOCAL_VENV)/bin/python local/requirements.lock
	touch $@

# Each layer ships its modules compiled (Python 3.11, the runtime's): a layer is read-only where it
# runs (/opt in Lambda, a fresh directory per worker locally), so without them every cold start
# compiles pydantic, powertools and anshin from source. Hash-checked .pyc files stay valid however
# the zip sets the files' times, and are recompiled if a source ever differs (docs/benchmarks.md).
COMPILE_LAYER = $(PY) -m compileall -q -j 0 --invalidation-mode checked-hash

# The shared layer: the anshin package and its dependencies for Lambda's python3.11 on x86_64,
# installed from wheels (no Docker) for Amazon Linux 2's glibc 2.26. boto3/botocore are not shipped: the runtime provides them.
$(LAYER).built: layers/shared/requirements.txt $(ANSHIN_SOURCES) $(VENV)/.installed
	rm -rf $(LAYER) && mkdir -p $(LAYER)/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --target $(LAYER)/python \
		--implementation cp --python-version 3.11 --only-binary :all: \
		--platform manylinux_2_26_x86_64 --platform manylinux2014_x86_64 \
		-r layers/shared/requirements.txt
	cp -r layers/shared/anshin $(LAYER)/python/anshin
	find $(LAYER) -name '__pycache__' -prune -exec rm -rf {} +
	$(COMPILE_LAYER) $(LAYER)/python
	touch $@

# The local-only layer (anshin_local: fault injection, the call log, time travel), which CDK adds
# to the functions of local deployments only (anshin:faultInjection); it needs nothing the shared
# layer and the runtime do not have.
$(LOCAL_LAYER).built: $(ANSHIN_LOCAL_SOURCES)
	rm -rf $(LOCAL_LAYER) && mkdir -p $(LOCAL_LAYER)/python
	cp -r layers/local/anshin_local $(LOCAL_LAYER)/python/anshin_local
	find $(LOCAL_LAYER) -name '__pycache__' -prune -exec rm -rf {} +
	$(COMPILE_LAYER) $(LOCAL_LAYER)/python
	touch $@

# The pages (issue 15): plain HTML + ES modules, no build step. Their two npm packages come from
# web/package-lock.json; the site is assembled into .build/web by copying (no bundling), which
# both the local static server (local/web.py) and the web stack's BucketDeployment serve.
WEB := .build/web
TERMS_JA := docs/terms/smartphone-support-terms.ja.txt
# The directories count too: a page or module deleted or added changes their times.
WEB_SOURCES := web/. $(wildcard web/*.html) $(shell find web/js web/css 2>/dev/null)

web/node_modules/.installed: web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	touch $@

$(WEB).built: web/node_modules/.installed $(WEB_SOURCES) $(TERMS_JA)
	rm -rf $(WEB) && mkdir -p $(WEB)/vendor $(WEB)/terms
	cp web/*.html $(WEB)/
	for dir in js css; do if [ -d web/$$dir ]; then cp -r web/$$dir $(WEB)/$$dir; fi; done
	cp web/node_modules/htm/preact/standalone.module.js $(WEB)/vendor/preact-htm.js
	cp web/node_modules/@picocss/pico/css/pico.min.css $(WEB)/vendor/pico.css
	# The console's OIDC client as an ES module; its one import (jwt-decode) beside it.
	sed -e 's#from "jwt-decode"#from "./jwt-decode.js"#' -e '/^\/\/# sourceMappingURL=/d' \
		web/node_modules/oidc-client-ts/dist/esm/oidc-client-ts.js > $(WEB)/vendor/oidc-client-ts.js
	cp web/node_modules/jwt-decode/build/esm/index.js $(WEB)/vendor/jwt-decode.js
	cp $(TERMS_JA) $(WEB)/terms/
	touch $@

.PHONY: web
web: $(WEB).built ## install the pages' npm packages and assemble the site into .build/web

# The browser tests drive Debian's Chromium (Playwright's own download is not reachable from
# these machines), and the pages are Japanese: without a CJK font Chromium draws boxes.
.PHONY: chromium
chromium: ## install Debian's chromium and a Japanese font (as root) when missing
	@missing="$$(test -x /usr/bin/chromium || echo chromium)"; \
	fc-list :lang=ja 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	missing="$${missing# }"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "The browser tests need $$missing: run \`make chromium\` as root (or apt-get install $$missing)." >&2; \
			exit 1; \
		fi; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

.PHONY: install
install: $(VENV)/.installed $(LOCAL_VENV)/.installed $(LAYER).built $(LOCAL_LAYER).built $(WEB).built ## create the environments, build the layers and the pages

.PHONY: layer
layer: $(LAYER).built $(LOCAL_LAYER).built ## build the Lambda layers: .build/layer (shared), .build/layer-local (local only)

.PHONY: synth
synth: $(LAYER).built $(WEB).built ## synthesize the CDK app into cdk.out/
	$(PY) -m infra.app

# The IAM policy evaluator of the permission check (tests/permissions), from npm with its lock.
IAM_TOOL := tools/iam-simulate
$(IAM_TOOL)/node_modules/.installed: $(IAM_TOOL)/package-lock.json
	npm ci --prefix $(IAM_TOOL) --no-audit --no-fund --loglevel=error
	touch $@

#: Where the suite records each function's AWS requests (anshin_local.call_log) for the permission check.
CALL_LOG := $(CURDIR)/.build/aws-calls

.PHONY: test
#: What the work tree looks like (tracked changes and files git does not ignore), as one digest:
#: make test fails if running the tests changed it (issue 25: screenshots and generated files
#: go to ignored folders; `make screenshots`, `make openapi` and `make docs` write on purpose).
TREE_STATE = { git status --porcelain --untracked-files=all; git diff HEAD --binary; } 2>/dev/null | sha256sum

test: install web chromium $(IAM_TOOL)/node_modules/.installed ## run every test: unit, integration, infra, e2e, then the permission check; fails if the tests changed the work tree
	rm -rf $(CALL_LOG) && mkdir -p $(CALL_LOG)
	@$(TREE_STATE) > .build/tree-before
	ANSHIN_CALL_LOG=$(CALL_LOG) $(PY) -m pytest -n 2 --dist loadgroup -m "not recorded"
	ANSHIN_CALL_LOG=$(CALL_LOG) ANSHIN_PERMISSIONS_REQUIRED=1 $(PY) -m pytest -m recorded tests/permissions
	@$(TREE_STATE) | cmp -s - .build/tree-before || { echo "make test changed the work tree:"; git status --short; exit 1; }

.PHONY: screenshots
screenshots: install web chromium ## refresh docs/screenshots (README's pictures) from the browser tests
	ANSHIN_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PY) -m pytest -p no:cacheprovider tests/e2e/browser

.PHONY: test-fast
test-fast: install $(IAM_TOOL)/node_modules/.installed ## the tests without the e2e ones (and without the permission check)
	$(PY) -m pytest -n 2 -m "not e2e and not recorded"

.PHONY: lint
lint: $(VENV)/.installed ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --config pyproject.toml

.PHONY: run
run: install web ## start the whole service and its pages on 127.0.0.1 (Ctrl-C stops it; ARGS="--port 4567 --web-port 4581" or ENDPOINT= moves it)
	$(PY) -m local run $(if $(ENDPOINT),--endpoint $(ENDPOINT)) $(ARGS)

.PHONY: staff-token
staff-token: $(VENV)/.installed ## print an ID token of the demo support-staff member (make run must be up; ENDPOINT=...)
	@$(PY) -m local staff-token $(if $(ENDPOINT),--endpoint $(ENDPOINT))

.PHONY: member-token
member-token: $(VENV)/.installed ## print an ID token of the member holding ACCOUNT=<id> (created if missing; make run must be up)
	@test -n "$(ACCOUNT)" || (echo "usage: make member-token ACCOUNT=MC-DEMO [ENDPOINT=...]" >&2; exit 2)
	@$(PY) -m local member-token --account "$(ACCOUNT)" $(if $(ENDPOINT),--endpoint $(ENDPOINT))

.PHONY: inbox
inbox: $(VENV)/.installed ## the notifications the running stack sent, newest first (LIMIT=5, JSON=1)
	@$(PY) -m local inbox $(if $(LIMIT),--limit $(LIMIT)) $(if $(JSON),--json) $(if $(ENDPOINT),--endpoint $(ENDPOINT))

.PHONY: logs
logs: $(VENV)/.installed ## the functions' structured logs from the running stack (FUNCTION=support_api MINUTES=15 ENDPOINT=...)
	@$(PY) -m local logs $(if $(FUNCTION),--function $(FUNCTION)) $(if $(MINUTES),--minutes $(MINUTES)) $(if $(ENDPOINT),--endpoint $(ENDPOINT))

.PHONY: redrive
redrive: $(VENV)/.installed ## replay the dead letters of the running stack (after fixing their cause)
	$(PY) -m local redrive $(if $(ENDPOINT),--endpoint $(ENDPOINT))

.PHONY: demo
demo: install ## the end-to-end scenario on a fresh local stack, printed step by step (ENDPOINT= fixes its address)
	$(PY) -m local demo $(if $(ENDPOINT),--endpoint $(ENDPOINT)) $(ARGS)

.PHONY: fault
fault: $(VENV)/.installed ## make FUNCTION raise on its next TIMES calls on the running stack (fault injection)
	@test -n "$(FUNCTION)" || (echo "usage: make fault FUNCTION=record_contract [TIMES=2] [ENDPOINT=...]"; exit 2)
	$(PY) -m local fault --function $(FUNCTION) --times $(or $(TIMES),1) $(if $(ENDPOINT),--endpoint $(ENDPOINT))

.PHONY: month-end
month-end: $(VENV)/.installed ## run MONTH=YYYY-MM's termination and billing on the running stack (DRY_RUN=1 writes nothing)
	@test -n "$(MONTH)" || (echo "usage: make month-end MONTH=2026-11 [DRY_RUN=1] [ENDPOINT=...]"; exit 2)
	$(PY) -m local month-end --month $(MONTH) $(if $(DRY_RUN),--dry-run) $(if $(ENDPOINT),--endpoint $(ENDPOINT))

.PHONY: bench
bench: install ## billing, its same-backend floor and the charge export on a fresh local stack (CONTRACTS="10000 100000")
	$(PY) benchmarks/billing.py --contracts $(or $(CONTRACTS),10000)

.PHONY: bench-cold-start
bench-cold-start: install ## import time of each handler in a fresh interpreter, and asset sizes
	$(PY) benchmarks/cold_start.py

.PHONY: openapi
openapi: $(VENV)/.installed ## regenerate the API's OpenAPI document (functions/api_docs/openapi.json)
	$(PY) -m infra.openapi

.PHONY: docs
docs: $(VENV)/.installed ## regenerate the key table in docs/architecture.md from anshin.store.keys
	$(PY) tools/key_table.py

.PHONY: lock
lock: $(VENV)/.installed ## re-pin every dependency (requirements.lock, the layer's, ministack's)
	$(UV) pip compile --quiet pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	$(UV) pip compile --quiet pyproject.toml --python-version 3.11 --python-platform x86_64-manylinux2014 \
		--no-emit-package botocore --no-emit-package jmespath --no-emit-package python-dateutil \
		--no-emit-package six --no-emit-package urllib3 --custom-compile-command "make lock" \
		-o layers/shared/requirements.txt
	$(UV) pip compile --quiet local/requirements.in --python-version 3.11 -o local/requirements.lock

.PHONY: clean
clean: ## remove build output (keeps the environments and .local/ state)
	rm -rf .build cdk.out
