# Two commands do everything on a fresh machine (Python 3.11, 3.12 or 3.13, and make):
#   make lab    create .venv, install the locked packages, open Jupyter Lab on notebooks/
#   make test   create/update the same .venv and run every test (CI runs exactly this)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?= notebooks/*.ipynb
OLDEST_VENV ?= .venv-oldest
LOCK_VENV ?= .venv-lock

.PHONY: install lab test oldest test-oldest lock lint readme sync execute execute-all status classifier benchmarks clean

# check_python,VERSIONS,WHAT: refuse an interpreter that WHAT has no wheels for (TensorFlow 2.21: CPython
# 3.11-3.13; the oldest supported TensorFlow, 2.16.2: up to 3.12), with advice, before pip fails with a
# resolver error.
define check_python
	@version=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || { \
	  echo "Cannot run PYTHON=$(PYTHON). Install Python 3.11, 3.12 or 3.13 and run: make $(or $(MAKECMDGOALS),install) PYTHON=python3.12" >&2; exit 1; }; \
	case " $(1) " in *" $$version "*) exit 0;; esac; \
	newest=$(lastword $(1)); \
	if [ "$${version%%.*}" -gt 3 ] || [ "$${version#*.}" -gt "$${newest#*.}" ]; then \
	    echo "$(PYTHON) is Python $$version: $(2) has no wheels for it yet (only Python $(1))." >&2; \
	    echo "Install Python $$newest beside it (e.g. 'uv python install $$newest', pyenv, or your distribution's python$$newest)" >&2; \
	    echo "and run: make $(or $(MAKECMDGOALS),install) PYTHON=python$$newest   (README: Platforms and Python versions)" >&2; \
	else \
	    echo "$(PYTHON) is Python $$version: the course needs Python $(1) ($(2)'s wheels)." >&2; \
	    echo "Install one of them (python.org, 'uv python install 3.12', pyenv, or your distribution's python3.12)" >&2; \
	    echo "and run: make $(or $(MAKECMDGOALS),install) PYTHON=python3.12   (README: Platforms and Python versions)" >&2; \
	fi; exit 1
endef
SUPPORTED_PYTHONS := 3.11 3.12 3.13
OLDEST_PYTHONS := 3.11 3.12

# make_venv,DIR: create a venv, explaining the usual cause when the venv module is missing.
define make_venv
	@$(PYTHON) -m venv $(1) || { rm -rf $(1); \
	  version=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  echo "'$(PYTHON) -m venv' failed: this Python has no working venv module." >&2; \
	  echo "On Debian/Ubuntu it is a separate package: sudo apt install python3-venv (for python$$version: python$$version-venv)," >&2; \
	  echo "then run make again. Elsewhere install Python from python.org, or use the conda route (README)." >&2; exit 1; }
endef

# requirements.txt lists what the course uses; requirements.lock pins every package installed with it.
# requirements-nodeps.txt: wheels used only for their data files, installed without their (old) dependencies.
$(STAMP): requirements.txt requirements.lock requirements-nodeps.txt
	$(call check_python,$(SUPPORTED_PYTHONS),TensorFlow 2.21)
	$(call make_venv,$(VENV))
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	COURSE_MODE=smoke $(BIN)/python -m pytest

# Refresh the lock after changing requirements.txt: a fresh install of it, frozen.
lock:
	$(call check_python,$(SUPPORTED_PYTHONS),TensorFlow 2.21)
	rm -rf $(LOCK_VENV)
	$(call make_venv,$(LOCK_VENV))
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -r requirements.txt
	$(LOCK_VENV)/bin/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	{ echo "# Every package a fresh install of requirements.txt (and requirements-nodeps.txt, without dependencies) brings, pinned (make lock rewrites this file)."; \
	  $(LOCK_VENV)/bin/python -c 'import platform; print("# Made with Python %s on %s %s." % (platform.python_version(), platform.system(), platform.machine()))'; \
	  $(LOCK_VENV)/bin/python -m pip freeze; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock
	rm -rf $(LOCK_VENV)

# The oldest TensorFlow/Keras the course supports (requirements-oldest.txt), in its own venv (make oldest);
# make test-oldest runs every notebook there in smoke mode and writes the result to tests/oldest_supported.md.
$(OLDEST_VENV)/.installed: requirements-oldest.txt requirements.txt requirements-nodeps.txt
	$(call check_python,$(OLDEST_PYTHONS),TensorFlow 2.16.2)
	$(call make_venv,$(OLDEST_VENV))
	$(OLDEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install --quiet -r requirements-oldest.txt
	$(OLDEST_VENV)/bin/python tools/colab_install.py
	@touch $@

oldest: $(OLDEST_VENV)/.installed

test-oldest: $(OLDEST_VENV)/.installed
	@mkdir -p outputs/oldest
	COURSE_MODE=smoke $(OLDEST_VENV)/bin/python -m pytest notebooks --junitxml=outputs/oldest/junit.xml; \
	  status=$$?; $(OLDEST_VENV)/bin/python tools/oldest_supported.py outputs/oldest/junit.xml tests/oldest_supported.md; \
	  exit $$status

lint: $(STAMP)
	$(BIN)/python tools/nbtool.py lint
	$(BIN)/python tools/nbtool.py readme --check
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

# Rewrite the README's Results and Benchmarks tables (and course-map times) from the committed
# notebooks' outputs and benchmarks/results/*.json; a test fails until this has been run.
readme: $(STAMP)
	$(BIN)/python tools/nbtool.py readme

classifier: $(STAMP)
	$(BIN)/python tools/train_digit_classifier.py

benchmarks: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf outputs .pytest_cache
