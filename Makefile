# DescentLab — `make run` serves the app, `make test` runs the whole suite, `make image` builds and smoke-tests
# the container image (see README, docs/deploy.md).
VENV      := .venv
PY        := $(VENV)/bin/python
HOST      ?= 127.0.0.1
PORT      ?= 8000
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
JAX_CACHE ?= $(HOME)/.cache/descentlab/jax

.PHONY: run test lint bench browser-deps image image-deps clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	DESCENTLAB_JAX_CACHE_DIR=$(JAX_CACHE) $(VENV)/bin/descentlab serve --host $(HOST) --port $(PORT)

# Debian chromium (driven by Playwright through executable_path) and the Latin Modern math font.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-lmodern fonts-wqy-microhei >/dev/null 2>&1; then \
		echo "installing chromium, fonts-lmodern (math) and fonts-wqy-microhei (Chinese UI)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-lmodern fonts-wqy-microhei >/dev/null; \
	fi

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Engine and API tests in two pytest workers (most of their time is XLA compiling network programs,
# one core each), a test file per worker so that its tests share their compiled programs; the browser
# tests in one (a server, Chromium and compilations already fill both cores: two workers timed out).
# tests/conftest.py drops compiled programs before a process reaches Linux's limit on memory maps.
PYTEST := $(PY) -m pytest -n 2 --dist loadfile
test: $(VENV)/.installed-dev browser-deps lint
	$(PYTEST) tests/engine
	$(PYTEST) tests/api tests/bench tests/test_dockerfile.py
	$(PY) -m pytest tests/browser

# Debian's podman (builds with chroot isolation) and mmdebstrap (the Debian base: no registry needed).
image-deps:
	@if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null; then \
		echo "installing podman and mmdebstrap"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq podman mmdebstrap >/dev/null; \
	fi

# Not part of `make test`: from nothing it takes minutes (docs/deploy.md gives the times); tests/test_dockerfile.py
# checks the Dockerfile's instructions and runs its HEALTHCHECK command in the suite.
image: $(VENV)/.installed image-deps
	$(SUDO) env PY=$(PY) docker/build.sh

bench: $(VENV)/.installed-dev
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache .ruff_cache build docker/wheels/*.whl
