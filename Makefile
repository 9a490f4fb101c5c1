# Parallax: the two commands of a fresh machine are `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=
# Test processes (pytest-xdist): `auto` is one per core; 0 runs the suite in this one process.
PYTEST_WORKERS ?= auto
SIZE ?= 10000

.PHONY: install system-deps demo test test-fast bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the browser tests need: Chromium and a CJK font (Chinese renders as boxes without).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wenquanyi; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			chromium fonts-wqy-microhei >/dev/null; \
	fi

# The translation models are fetched when the Hugging Face Hub answers within 3 s (once; offline,
# one line says how to get them later and the demo goes on without translations).
demo: install
	-$(VENV)/bin/parallax models install translation --if-reachable --timeout 3
	$(VENV)/bin/parallax demo $(ARGS)

# The whole suite on every core; each test module stays on one worker (its module fixtures are built
# once). `make test-fast` leaves out the tests marked slow (browser, kill-and-restart, large crawls).
test: install system-deps
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

test-fast:
	$(MAKE) test PYTEST_ARGS="-m 'not slow' $(PYTEST_ARGS)"

bench: install
	$(PY) -m benchmarks.run --size $(SIZE)

clean:
	rm -rf $(VENV) data .pytest_cache
