# fenxiao — the two commands of the set-up contract are `make run` and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := $(UV) run --frozen python
HOST ?= 127.0.0.1
PORT ?= 8000
# Development defaults; production sets its own (see docs/deployment.md).
export DEBUG ?= 1
export PYTHONUNBUFFERED := 1

.PHONY: setup run test lint messages migrate demo worker serve bench clean

$(UV):
	python3 -m pip install --user --quiet uv

setup: $(UV) ## create .venv from the lock file
	$(UV) sync --frozen --quiet

messages: setup ## compile the zh-Hans/English translations
	$(PY) manage.py compilemessages --ignore=.venv -v 0

migrate: setup
	$(PY) manage.py migrate --noinput -v 0

demo: migrate messages ## load demo data (idempotent) and print the demo sign-ins
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py seed_demo

run: demo ## start the platform with demo data on http://$(HOST):$(PORT) plus its worker
	@echo "fenxiao: serving on http://$(HOST):$(PORT)/ (worker started beside it; Ctrl-C stops both)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(PY) manage.py run_worker & \
	  $(PY) manage.py runserver $(HOST):$(PORT) --noreload

serve: setup ## production web server: gunicorn, several processes (set SECRET_KEY, DATABASE_URL; docs/deployment.md)
	DEBUG=0 $(PY) manage.py collectstatic --noinput -v 0
	DEBUG=0 $(UV) run --frozen gunicorn -c deploy/gunicorn.conf.py

worker: setup ## one background worker (run as many as needed)
	$(PY) manage.py run_worker

lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

test: lint messages ## lint, then the whole test suite (SQLite unless DATABASE_URL says otherwise)
	$(UV) run --frozen pytest $(PYTEST_ARGS)

bench: setup messages ## every benchmark at full size (hours; BENCH_ARGS=--quick for a smoke run; "peers" installs django-oscar into bench/.peers-venv) — docs/benchmarks.md
	$(UV) run --frozen python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf .venv db.sqlite3* .test-db.sqlite3* media staticfiles
