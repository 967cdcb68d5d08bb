# ProCheck: `make run` serves the demo, `make test` runs every check. Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test bench bench-load i18n lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

translations/de/LC_MESSAGES/messages.mo: translations/de/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d translations

run: $(VENV)/.installed translations/de/LC_MESSAGES/messages.mo
	$(BIN)/flask db upgrade
	$(BIN)/flask procheck seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(VENV)/.installed-test translations/de/LC_MESSAGES/messages.mo
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile

bench: $(VENV)/.installed-test translations/de/LC_MESSAGES/messages.mo
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.mail

# 50 clients for 60 s against gunicorn on PostgreSQL at 1M cases (BENCH_LOAD_CASES, BENCH_LOAD_DATABASE: bench/load.py).
bench-load: $(VENV)/.installed-test translations/de/LC_MESSAGES/messages.mo
	$(BIN)/python -m bench.load

# Re-extract the UI strings and merge them into the German catalogue (then translate the empty ones).
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_ngettext:1,2 -o translations/messages.pot .
	$(BIN)/pybabel update -N -i translations/messages.pot -d translations -l de
	$(BIN)/pybabel compile --statistics -d translations

clean:
	rm -rf $(VENV) instance
