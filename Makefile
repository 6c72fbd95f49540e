# PACS Service Ops: `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test unit integration e2e chaos lint format bench soak install os-deps broker clean

run: install os-deps
	$(BIN)/python -m pacs_devstack

test: install os-deps broker
	$(BIN)/pytest

unit: install
	$(BIN)/pytest tests/unit

integration: install os-deps broker
	$(BIN)/pytest tests/integration

e2e: install os-deps broker
	$(BIN)/pytest tests/e2e

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

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

# From the OS packages when missing, after one package-list update: nginx, the gateway on one machine;
# Orthanc and dcmtk (storescp), the DICOM peers the probe tests echo; Pango, HarfBuzz-subset and a CJK font,
# which WeasyPrint needs to lay out the bilingual PM report; Prometheus and promtool, which scrape the stack
# for the dashboard test and check the platform's alert rules.
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
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# Uses the broker at AMQP_URL when it answers; otherwise starts (or installs) the local RabbitMQ.
broker: install
	$(BIN)/python -m pacs_devstack.broker

clean:
	rm -rf .run .pytest_cache .mypy_cache .ruff_cache
