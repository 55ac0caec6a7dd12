# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

# The suite runs against the real services (see .ci/run); override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Two test processes (pytest-xdist), a file at a time each: much of the suite waits on
# workers, browsers and servers it starts. Each process has its own test database and the
# Redis database below TEST_REDIS_URL's for each further process. TEST_PROCESSES= runs one.
TEST_PROCESSES ?= -n 2 --dist loadfile

.PHONY: run test install migrate seed clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# axe-core, which the browser tests inject into Chromium to check accessibility; only the
# tests need Node.js.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed

# The whole service on the embedded defaults: SQLite, Celery on the filesystem broker,
# emails written to var/mail. Web server, worker and beat run from the Procfile. honcho
# gives each process type its own PORT (web $(PORT), worker $(PORT)+100, beat +200), so
# the links in emails (SITE_URL, built by the worker) are set here from the web's PORT.
run: seed
	@echo
	@echo "  The tracker is starting at http://127.0.0.1:$(PORT)/"
	@echo "  Admin: create a user with '$(BIN)/python manage.py createsuperuser', then open http://127.0.0.1:$(PORT)/admin/"
	@echo "  Stop with Ctrl-C."
	@echo
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} PATH="$(CURDIR)/$(BIN):$$PATH" \
		SITE_URL="$${SITE_URL:-http://$${HOST:-127.0.0.1}:$(PORT)}" \
		$(BIN)/honcho start --port $(PORT) -f Procfile

test: install node_modules/.installed
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest $(TEST_PROCESSES) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
