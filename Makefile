# The two commands: `make run` (demo on SQLite, Celery eager) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_ENV := DEBUG=true

.PHONY: install run test test-fast test-shifted lint security format clean lock

# Exactly the versions in requirements-dev.lock (the runtime lock plus the test and lint
# tools), checked against their hashes; then the project.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# After changing dependencies in pyproject.toml: pin every package again, with hashes.
# requirements.lock is what production installs; requirements-dev.lock adds the dev extra
# (compiled first, so both agree on every package they share).
LOCK_ARGS := --generate-hashes --python-version 3.11 --python-platform linux --quiet
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_ARGS) -o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml -c requirements-dev.lock $(LOCK_ARGS) -o requirements.lock

install: $(STAMP)

run: $(STAMP)
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo --if-empty
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# The edit-run loop: SQLite, no browser, no real broker or worker, nothing marked slow.
test-fast: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -q -m "not (postgres or redis or e2e or slow)" $(PYTEST_ARGS)

# The suite with the clock moved (libfaketime, Debian package faketime), e.g.
#   make test-shifted CLOCK="2031-02-28 23:30:00" (read in the help desk's zone, Europe/Berlin)
# A fixed offset from the real clock, so that the processes the tests start (a Celery worker)
# share the test process's time. The browser tests are left out (the main run has them).
CLOCK ?= 2031-02-28 23:30:00
test-shifted: $(STAMP)
	offset=$$(( $$(TZ=Europe/Berlin date -d "$(CLOCK)" +%s) - $$(date +%s) )); \
	faketime -f "$$(printf '%+d' "$$offset")" $(BIN)/pytest -m "not (e2e or cluster)" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run

# Static security checks: bandit (fails on high severity and high confidence) and semgrep with
# the rules in .semgrep/ only (offline: no registry, no metrics, no version check).
SEMGREP_STATE := $(VENV)/semgrep
SEMGREP_ENV := SEMGREP_SEND_METRICS=off SEMGREP_ENABLE_VERSION_CHECK=0 \
	SEMGREP_SETTINGS_FILE=$(SEMGREP_STATE)/settings.yml SEMGREP_LOG_FILE=$(SEMGREP_STATE)/semgrep.log \
	SEMGREP_VERSION_CACHE_PATH=$(SEMGREP_STATE)/version
SECURITY_PATHS := helpdesk accounts tickets knowledge

security: $(STAMP)
	$(BIN)/bandit -q -c .bandit.yml -r $(SECURITY_PATHS) --severity-level high --confidence-level high
	mkdir -p $(SEMGREP_STATE)
	$(SEMGREP_ENV) $(BIN)/semgrep scan --config .semgrep/ --metrics=off --disable-version-check \
		--error --quiet $(SECURITY_PATHS) templates

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 media .pytest_cache .ruff_cache .hypothesis
