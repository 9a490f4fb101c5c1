# Parallax: the two commands of a fresh machine are `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=
SIZE ?= 10000

.PHONY: install system-deps demo test bench clean

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

test: install system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m benchmarks.run --size $(SIZE)

clean:
	rm -rf $(VENV) data .pytest_cache
