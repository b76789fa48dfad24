# IOU Desk: `make run` serves the product, `make test` runs every test. Both set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run demo system-packages test test-sqlite test-postgres lint bench install install-test clean

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

prepare: $(VENV)/.installed
	$(BIN)/python -m ioudesk.core.catalogues
	$(BIN)/ioudesk migrate --noinput
	$(BIN)/ioudesk setup

run: prepare
	@echo "欠条管家 IOU Desk: http://127.0.0.1:$(PORT)/  (web: gunicorn; one background worker; stop both with Ctrl-C)"
	$(BIN)/ioudesk serve --port $(PORT)

demo: prepare
	$(BIN)/ioudesk demo_data
	@echo "欠条管家 IOU Desk (demo data): http://127.0.0.1:$(PORT)/  (stop with Ctrl-C)"
	$(BIN)/ioudesk serve --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

system-packages:
	scripts/system-packages

# The SQLite pass (browser tests included) and the PostgreSQL pass run side by side, one per core;
# each pass's output is printed whole when it ends (make -O). `make test-sqlite` / `make test-postgres`
# run one pass with live output.
test: system-packages $(VENV)/.installed-test
	$(BIN)/python -m ioudesk.core.catalogues
	$(BIN)/ruff check .
	@$(MAKE) --no-print-directory -j2 -O pass-sqlite pass-postgres

.PHONY: pass-sqlite pass-postgres
pass-sqlite:
	@echo "== SQLite pass =="
	$(BIN)/pytest -q --durations=15
pass-postgres:
	@echo "== PostgreSQL pass =="
	scripts/with-postgres $(BIN)/pytest -q --durations=15 -m "not browser and not sqlite_only"

test-sqlite: $(VENV)/.installed-test
	$(BIN)/python -m ioudesk.core.catalogues
	$(BIN)/pytest -q

test-postgres: $(VENV)/.installed-test
	$(BIN)/python -m ioudesk.core.catalogues
	scripts/with-postgres $(BIN)/pytest -q -m "not browser and not sqlite_only"

# The money core's state machine at length (make test runs it briefly): many more and longer
# random sequences, on SQLite and PostgreSQL. SOAK_EXAMPLES=2000 make soak for a longer run.
.PHONY: soak
SOAK_EXAMPLES ?= 500
soak: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=soak IOUDESK_SOAK_EXAMPLES=$(SOAK_EXAMPLES) $(BIN)/pytest -q ioudesk/ious/tests/test_stateful.py
	HYPOTHESIS_PROFILE=soak IOUDESK_SOAK_EXAMPLES=$(SOAK_EXAMPLES) scripts/with-postgres $(BIN)/pytest -q ioudesk/ious/tests/test_stateful.py

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py --output docs/benchmarks.md

clean:
	rm -rf $(VENV) build *.egg-info
