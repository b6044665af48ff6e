# Two commands: `make run` serves the demo shop, `make test` runs the whole suite.
# Everything they need is installed here: uv into .venv-tools, the project into .venv.

PYTHON ?= python3
TOOLS  := .venv-tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test lint format bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.synced: $(UV) pyproject.toml uv.lock .python-version
	$(UV) sync --locked
	@touch $@

install: $(VENV)/.synced

run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	@echo "The shop is at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "The worker (manage.py run_subscriptions) sends the emails; honcho runs both (Procfile)."
	DEBUG=$${DEBUG:-1} PY=$(PY) SHOP_HOST=$(HOST) SHOP_PORT=$(PORT) \
		SHOP_BASE_URL=$${SHOP_BASE_URL:-http://$(HOST):$(PORT)} $(VENV)/bin/honcho start

test: install
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) $(TOOLS) var staticfiles

bench: install
	$(UV) sync --locked --group bench
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) benchmarks/run.py
	$(PY) benchmarks/soak.py
