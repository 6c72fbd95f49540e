# PACS Service Ops: `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements/dev.txt | cksum | cut -d' ' -f1)
LOCK   := $(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --quiet
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test unit handlers integration e2e browser chaos lint format bench soak install lock sbom audit os-deps browser-deps \
  broker clean

run: install os-deps
	$(BIN)/python -m pacs_devstack

test: install os-deps browser-deps broker
	$(BIN)/pytest

unit: install
	$(BIN)/pytest tests/unit

handlers: install
	$(BIN)/pytest tests/handlers

integration: install os-deps broker
	$(BIN)/pytest tests/integration

e2e: install os-deps broker
	$(BIN)/pytest tests/e2e

# Pages in a real (headless) Chromium, operated by keyboard and checked with axe-core (also part of `make test`).
browser: install os-deps browser-deps
	$(BIN)/pytest tests/browser

# The fault tests alone (also part of `make test`), RUNS times in a row; each run prints its seed and figures.
RUNS ?= 1
chaos: install os-deps broker
	@for i in $$(seq $(RUNS)); do echo "chaos run $$i of $(RUNS)"; $(BIN)/pytest tests/chaos -rP || exit 1; done

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy libs services tests bench

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install os-deps broker
	PYTHONPATH=. $(BIN)/python bench/intake.py
	PYTHONPATH=. $(BIN)/python bench/consume.py
	PYTHONPATH=. $(BIN)/python bench/knowledge.py
	PYTHONPATH=. $(BIN)/python bench/monitoring.py
	PYTHONPATH=. $(BIN)/python bench/notify.py
	PYTHONPATH=. $(BIN)/python bench/mixed.py

# Memory under ten compressed hours of a busy estate's traffic (ten minutes).
soak: install os-deps broker
	PYTHONPATH=. $(BIN)/python bench/soak.py

install: $(STAMP)

# Exactly the locked versions, each checked against its hash; then the project itself, without resolving anything.
$(STAMP): pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

# Resolve the locks again: every dependency to its newest release within pyproject.toml's ranges, or only
# PACKAGE=name. The runtime lock takes the development lock's versions, so the two never disagree.
lock: install
	$(LOCK) --extra dev $(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade) -o requirements/dev.txt
	$(LOCK) -c requirements/dev.txt -o requirements/runtime.txt
	$(BIN)/uv pip compile requirements/build.in --generate-hashes --python-version 3.11 --quiet --upgrade \
	  -o requirements/build.txt
	$(MAKE) install

# A CycloneDX SBOM of the image's runtime set and the licence report, in dist/; fails on a licence the policy
# (requirements/licences.toml) does not allow in the runtime set.
sbom: install
	$(BIN)/python -m pacs_devstack.sbom --out dist

# Known vulnerabilities of the locked runtime set (pip-audit, PyPI's advisory data); says SKIPPED, not passed,
# when the advisory source cannot be reached (AUDIT_STRICT=1 makes that an error).
audit: install
	$(BIN)/python -m pacs_devstack.audit requirements/runtime.txt

# From the OS packages when missing, after one package-list update: nginx, the gateway on one machine;
# Orthanc and dcmtk (storescp), the DICOM peers the probe tests echo; Pango, HarfBuzz-subset and a CJK font,
# which WeasyPrint needs to lay out the bilingual PM report and service review (matplotlib draws the review's
# charts in the same font); Prometheus and promtool, which scrape the stack
# for the dashboard test and check the platform's alert rules; npm, which fetches axe-core (browser-deps); Chromium,
# the real browser the browser tests drive (Playwright cannot download its own build here).
os-deps:
	@missing=""; \
	{ command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx; } || missing="$$missing nginx"; \
	{ command -v Orthanc >/dev/null 2>&1 || test -x /usr/sbin/Orthanc; } || missing="$$missing orthanc"; \
	{ command -v storescp >/dev/null 2>&1 && command -v echoscu >/dev/null 2>&1; } || missing="$$missing dcmtk"; \
	for lib in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do \
	  dpkg -s $$lib >/dev/null 2>&1 || missing="$$missing $$lib"; \
	done; \
	{ fc-list 2>/dev/null | grep -qi microhei; } || missing="$$missing fonts-wqy-microhei"; \
	{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing="$$missing prometheus"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	{ command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium; } || missing="$$missing chromium"; \
	{ test -x /usr/sbin/sshd && command -v ssh-keygen >/dev/null 2>&1; } || missing="$$missing openssh-server"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# The JavaScript the browser tests inject into pages (axe-core), exactly as tests/browser/package-lock.json pins it,
# checked against its hash; again only when the lock changes.
BROWSER_JS := tests/browser/node_modules/axe-core/axe.min.js
browser-deps: $(BROWSER_JS)

$(BROWSER_JS): tests/browser/package.json tests/browser/package-lock.json | os-deps
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

# Uses the broker at AMQP_URL when it answers; otherwise starts (or installs) the local RabbitMQ.
broker: install
	$(BIN)/python -m pacs_devstack.broker

clean:
	rm -rf .run .pytest_cache .mypy_cache .ruff_cache tests/browser/node_modules tests/browser/artifacts
