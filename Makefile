# dossier: every install step lives here, so a fresh clone needs nothing but Python 3.11+.
#   make run   set up, then run the main job on the embedded default
#   make test  set up, then run the whole test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out/demo

# Debian packages the project needs, each beside the command or file that shows it is present.
SYSTEM_PACKAGES := \
	soffice:libreoffice-writer-nogui \
	/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc:fonts-noto-cjk \
	fc-match:fontconfig \
	tesseract:tesseract-ocr \
	/usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata:tesseract-ocr-chi-sim \
	ocrmypdf:ocrmypdf \
	ffmpeg:ffmpeg \
	chromium:chromium \
	/usr/lib/postgresql/*/bin/postgres:postgresql

.PHONY: run test typecheck setup sysdeps lint bench clean

setup: sysdeps $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Installs only what is missing, and only where apt-get exists; elsewhere it says what to install.
sysdeps:
	@missing=""; \
	for pair in $(SYSTEM_PACKAGES); do \
		probe=$${pair%%:*}; pkg=$${pair#*:}; \
		case $$probe in /*) set -- $$probe; [ -e "$$1" ] || missing="$$missing $$pkg";; \
		*) command -v $$probe >/dev/null 2>&1 || missing="$$missing $$pkg";; esac; \
	done; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1; then \
			SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
			echo "installing system packages:$$missing"; \
			$$SUDO apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
		else \
			echo "missing system packages (install them by hand):$$missing" >&2; exit 1; \
		fi; \
	fi

run: setup
	$(BIN)/dossier demo --out $(OUT) --serve

# The folders whose tests touch the catalog; `make test` runs them a second time with every archive home's
# catalog on a throwaway PostgreSQL cluster (tests/conftest.py). The other folders (domain, finance, kinds,
# render, indexer) never open a catalog: they test pure functions, templates and the search engine alone.
# tests/catalog runs once, in the plain pass; the other server-deployment tests (queue, replicas) run in
# the PostgreSQL pass only (tests/conftest.py).
CATALOG_TESTS := tests/archive tests/cli tests/custody tests/inbox tests/jobs tests/ledger tests/media \
	tests/process tests/search tests/service tests/verification

# Types first: a new type error fails `make test` in seconds, before the long suite starts. The two passes
# run side by side (much of each is waiting on fsync, subprocesses and servers, so two cores serve both);
# the PostgreSQL pass writes its report to out/ and it is printed when both are done.
test: setup typecheck
	@mkdir -p out
	@$(BIN)/python -m pytest -q -p no:cacheprovider --catalog=postgresql $(wildcard $(CATALOG_TESTS)) \
		> out/pytest-postgresql.log 2>&1 & pg=$$!; \
	echo "== the whole suite on the embedded default (SQLite); the catalog's tests run on PostgreSQL beside it"; \
	$(BIN)/python -m pytest -q; sqlite=$$?; \
	wait $$pg; postgresql=$$?; \
	echo "== the catalog's tests on PostgreSQL ($(words $(wildcard $(CATALOG_TESTS))) folders)"; \
	cat out/pytest-postgresql.log; \
	echo "== SQLite pass: exit $$sqlite; PostgreSQL pass: exit $$postgresql"; \
	[ $$sqlite -eq 0 ] && [ $$postgresql -eq 0 ]

# mypy reads its files and settings from [tool.mypy] in pyproject.toml; .mypy_cache keeps reruns fast.
typecheck: setup
	$(BIN)/mypy

lint: setup
	$(BIN)/ruff check src indexer tests bench templates
	$(BIN)/ruff format --check src indexer tests bench templates
	$(BIN)/mypy

# Every benchmark in turn (about an hour on 2 cores); each writes bench/results/<name>.md.
BENCHES := generate archive search catalog ledger jobs replica service auth watch cli_startup
bench: setup
	for name in $(BENCHES); do $(BIN)/python bench/$$name.py || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .mypy_cache .hypothesis
