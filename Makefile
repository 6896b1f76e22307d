# Two commands do everything on a fresh machine (Python 3.11+ and make):
#   make lab    create .venv, install the pinned packages, open Jupyter Lab on notebooks/
#   make test   create/update the same .venv and run every test (CI runs exactly this)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?= notebooks/*.ipynb

.PHONY: install lab test lint sync execute execute-all status classifier benchmarks clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; run with PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	COURSE_MODE=smoke $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python tools/nbtool.py lint
	$(BIN)/ruff check utils tools tests benchmarks
	$(BIN)/nbqa ruff notebooks

sync: $(STAMP)
	$(BIN)/python tools/nbtool.py sync

# Full-mode run that writes outputs and the freshness stamp: make execute NB=notebooks/01_sampling_and_likelihood.ipynb
execute: $(STAMP)
	$(BIN)/python tools/nbtool.py execute $(NB)

execute-all: $(STAMP)
	$(BIN)/python tools/nbtool.py execute notebooks/*.ipynb

status: $(STAMP)
	$(BIN)/python tools/nbtool.py status

classifier: $(STAMP)
	$(BIN)/python tools/train_digit_classifier.py

benchmarks: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf outputs .pytest_cache
