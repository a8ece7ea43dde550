# The two commands: `make run` (demo on SQLite, Celery eager) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_ENV := DEBUG=true

.PHONY: install run test lint security format clean lock

# Exactly the versions in requirements.lock, checked against their hashes; then the project.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# After changing dependencies in pyproject.toml: pin every package again, with hashes.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--python-platform linux --quiet -o requirements.lock

install: $(STAMP)

run: $(STAMP)
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo --if-empty
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

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
SECURITY_PATHS := helpdesk accounts tickets

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
