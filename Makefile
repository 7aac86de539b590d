# One entry point for people: `make run` and `make test` install what is missing first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

TOOLS       := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed

.PHONY: install tools run test lint format kafka kafka-stop bench clean

# Re-installs when pyproject.toml changes; the stamp keeps repeated runs instant.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# checkov pins packaging/python-dateutil below what the services use and adds aiodns, which
# aiohttp would pick up: it gets a venv of its own.
$(TOOLS_STAMP):
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet 'checkov>=3.2,<4'
	touch $(TOOLS_STAMP)

tools: $(TOOLS_STAMP)

run: install
	$(BIN)/pkc run

# The suite is to stay under 20 minutes on two cores. Some tests spend most of their time
# waiting, not computing: the fault tests (tests/fault) on an outage they hold (a database down
# or locked for minutes), on a killed process's restart, on a rebalance; a few end-to-end flows
# on their timers (an escalation, a callback's retry). They are marked `waits` and run in a
# pytest process of their own beside the others, and their output follows. Each process draws
# the ports of the servers it starts from a range of its own (pkc/ports.py). The slowest tests
# are listed.
test: install tools
	@mkdir -p .pkc
	@PKC_PORT_RANGE=20000-23999 $(BIN)/python -m pytest -q -m 'waits and not slow' \
		-p no:cacheprovider --durations=10 > .pkc/test-waits.log 2>&1 & waits=$$!; \
	PKC_PORT_RANGE=24000-32767 $(BIN)/python -m pytest -q --durations=25 \
		-m 'not waits and not slow'; others=$$?; \
	wait $$waits; waited=$$?; \
	echo "--- the tests that wait, run beside the others ---"; cat .pkc/test-waits.log; \
	test $$others -eq 0 && test $$waited -eq 0

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --cache-dir .pkc/import-linter

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

kafka: install
	$(BIN)/pkc kafka start

kafka-stop: install
	$(BIN)/pkc kafka stop

bench: install
	$(BIN)/python -m bench

clean:
	-test -x $(BIN)/pkc && $(BIN)/pkc kafka stop
	rm -rf $(VENV) $(TOOLS) .pkc .pytest_cache .mypy_cache .ruff_cache bench/results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
