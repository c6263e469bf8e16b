# The user interface of the project. `make help` lists the targets.
#   make run    set everything up and run the pipeline
#   make test   the whole test suite (starts the broker if needed, stops what it started)

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
DEPS := .deps
VENV := .venv
SPARK_VENV := .venv-spark
UV := $(DEPS)/uv/bin/uv
MVN := mvn -q -B -Dmaven.repo.local=$(CURDIR)/$(DEPS)/m2
export UV_LINK_MODE := copy
export UV_PYTHON_DOWNLOADS := never

.PHONY: help setup lock kafka-up kafka-down kafka-status up down status run test clean

help:  ## list the targets
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  make %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# --- set-up: idempotent; a second run finds every stamp up to date and downloads nothing -----------
# AIRFLOW_DB=sqlite (scripts/airflow-env.sh) runs Airflow without PostgreSQL, so set-up does not install it.
AIRFLOW_DB ?= postgres
setup: $(VENV)/.installed $(SPARK_VENV)/.installed $(DEPS)/kafka/.fetched $(DEPS)/spark-jars/.fetched $(DEPS)/spark-class-archive/driver.jsa $(DEPS)/.chromium $(if $(filter sqlite,$(AIRFLOW_DB)),,$(DEPS)/.postgresql)  ## create both environments, fetch the jars, train Spark's class archive, install Chromium for the browser tests and PostgreSQL for Airflow

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(DEPS)/uv
	$(DEPS)/uv/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# Two environments on purpose: the Spark provider pulls pyspark-client, which writes into the same
# pyspark/ folder as pyspark. .venv runs Airflow, the API and the tests; .venv-spark runs spark-submit.
$(VENV)/.installed: requirements/airflow.lock.txt pyproject.toml | $(UV)
	[ -x $(VENV)/bin/python ] || $(UV) venv -q --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(VENV) $(UV) pip sync -q requirements/airflow.lock.txt
	VIRTUAL_ENV=$(VENV) $(UV) pip install -q --no-deps -e .
	touch $@

$(SPARK_VENV)/.installed: requirements/spark.lock.txt pyproject.toml | $(UV)
	[ -x $(SPARK_VENV)/bin/python ] || $(UV) venv -q --python $(PYTHON) $(SPARK_VENV)
	VIRTUAL_ENV=$(SPARK_VENV) $(UV) pip sync -q requirements/spark.lock.txt
	VIRTUAL_ENV=$(SPARK_VENV) $(UV) pip install -q --no-deps -e .
	touch $@

$(DEPS)/kafka/.fetched: scripts/maven/kafka-broker.pom.xml
	rm -rf $(DEPS)/kafka/libs
	$(MVN) -f $< dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(DEPS)/kafka/libs
	touch $@

$(DEPS)/spark-jars/.fetched: scripts/maven/spark-kafka-connector.pom.xml
	rm -rf $(DEPS)/spark-jars
	$(MVN) -f $< dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/$(DEPS)/spark-jars
	touch $@

# Spark drivers start faster from a class-data archive (see src/game_events/spark_submit.py); retrained
# when the Spark environment, the connector jars or the training run change.
$(DEPS)/spark-class-archive/driver.jsa: $(SPARK_VENV)/.installed $(DEPS)/spark-jars/.fetched spark/class_archive_training.py src/game_events/spark_submit.py | $(VENV)/.installed
	$(VENV)/bin/python -m game_events.cli spark-class-archive

# Debian's PostgreSQL, for Airflow's metadata database (scripts/postgres.sh runs a cluster of our own).
$(DEPS)/.postgresql: scripts/postgres.sh
	scripts/postgres.sh install
	mkdir -p $(DEPS) && touch $@

$(DEPS)/.chromium: scripts/install-debian.sh
	scripts/install-debian.sh chromium chromium fonts-dejavu-core
	mkdir -p $(DEPS) && touch $@

lock: | $(UV)  ## re-resolve requirements/*.in into the pinned lock files
	$(UV) pip compile -q --python-version 3.11 requirements/airflow.in -o requirements/airflow.lock.txt
	$(UV) pip compile -q --python-version 3.11 requirements/spark.in -o requirements/spark.lock.txt

# --- the broker ---------------------------------------------------------------------------------------
kafka-up: setup  ## start the local KRaft broker on 127.0.0.1:9092 (safe to call twice)
	scripts/kafka.sh up

kafka-down:  ## stop the broker this project started
	scripts/kafka.sh down

kafka-status:  ## is the broker running?
	scripts/kafka.sh status

# --- the stack and the main job ----------------------------------------------------------------------
up: setup  ## start broker, game API (127.0.0.1:5000) and Airflow (UI on 127.0.0.1:8080); waits until all answer
	scripts/stack.sh up

down:  ## stop everything `make up` started
	scripts/stack.sh down

status:  ## what is running
	scripts/stack.sh status

# make run: the last 3 complete UTC days by default; START=YYYY-MM-DD END=YYYY-MM-DD EVENTS=N override;
# MAX_ACTIVE_RUNS=3 lets the scheduler run up to 3 days at once.
END ?= $(shell date -u -d yesterday +%F)
START ?= $(shell date -u -d "$(END) -2 days" +%F)
EVENTS ?=
MAX_ACTIVE_RUNS ?= 1
run: up  ## set up, start the stack, backfill START..END through the scheduler, print where the results are
	. scripts/airflow-env.sh && .venv/bin/python -m game_events.cli airflow backfill \
	  --start $(START) --end $(END) --max-active-runs $(MAX_ACTIVE_RUNS) $(if $(EVENTS),--events $(EVENTS))
	@echo
	@echo "Lake:      $(CURDIR)/data/lake/events/"
	@for d in $$(.venv/bin/python -c 'import datetime as t,sys; s,e=map(t.date.fromisoformat,sys.argv[1:]); print(*[s+t.timedelta(i) for i in range((e-s).days+1)])' $(START) $(END)); do \
	  echo "Report:    $(CURDIR)/data/artifacts/$$d/report.html"; done
	@. scripts/airflow-env.sh && echo "Airflow:   $$AIRFLOW__API__BASE_URL (user admin, password $$(scripts/airflow.sh password))"
	@echo "The stack stays up for exploring; 'make down' stops it."

# --- Spark's history server ------------------------------------------------------------------------
# Every Spark job writes its event log to .run/spark-events (SPARK_EVENTS_DIR); each Spark task's log in
# Airflow names its application id and its page here. `make down` stops the server too.
.PHONY: spark-history spark-history-down
spark-history: setup  ## serve Spark's history server on 127.0.0.1:18080 over the jobs' event logs (safe to call twice)
	scripts/spark-history.sh up

spark-history-down:  ## stop the history server
	scripts/spark-history.sh down

# --- tests ----------------------------------------------------------------------------------------------
# The suite needs the broker: start it when it is not running, and stop it afterwards only if we started it.
# Tests marked `long` (the full reliability cases) and tests/cluster/ have their own targets below.
test: setup  ## the whole test suite against the real broker and real Spark
	@started=0; \
	if ! scripts/kafka.sh status | grep -q running; then scripts/kafka.sh up && started=1; fi; \
	status=0; \
	$(VENV)/bin/python -m pytest --ignore=tests/spark --ignore=tests/cluster -m "not long" $(PYTEST_ARGS) || status=$$?; \
	$(SPARK_VENV)/bin/python -m pytest tests/spark $(PYTEST_ARGS) || status=$$((status ? status : $$?)); \
	if [ $$started = 1 ]; then scripts/kafka.sh down; fi; \
	if [ $$status = 5 ]; then echo "pytest collected no tests: the suite is broken, not green" >&2; fi; \
	exit $$status

clean:  ## remove generated data and service state (keeps downloads and environments)
	scripts/stack.sh down
	. scripts/airflow-env.sh && scripts/postgres.sh destroy
	rm -rf data .run

# --- benchmarks ------------------------------------------------------------------------------------
# Each stage against a ceiling measured in the same run (BENCHMARKS.md). The benchmark starts its own
# broker, game API and Airflow on ports 39092, 35000/35001 and 38080 with state in .run/bench, so it never
# touches a `make up` stack; BENCH_STATE_DIR, BENCH_KAFKA_PORT, BENCH_API_PORT, BENCH_AIRFLOW_PORT move them.
# FW_EVENTS=10000000 make bench: a 10M-event day for filtered_writes.
FW_EVENTS ?=
.PHONY: bench bench-quick
bench: setup $(DEPS)/.wrk  ## benchmarks on a 1M-event day (~15 min); writes bench/results/full.json and BENCHMARKS.md's table
	$(VENV)/bin/python -m bench run --mode full --render $(if $(FW_EVENTS),--fw-events $(FW_EVENTS))

bench-quick: setup $(DEPS)/.wrk  ## the same benchmarks at small sizes (~5 min on a quiet machine); writes bench/results/quick.json
	$(VENV)/bin/python -m bench run --mode quick

$(DEPS)/.wrk: scripts/install-debian.sh
	scripts/install-debian.sh wrk wrk
	mkdir -p $(DEPS) && touch $@

# --- cluster ----------------------------------------------------------------------------------------
# A Spark standalone master + 2 workers and 3 KRaft Kafka nodes on loopback (scripts/cluster.sh; state in
# .run/cluster). `scripts/cluster.sh env` prints the environment that points the project at them.
.PHONY: cluster-up cluster-down cluster-status test-cluster
cluster-up: setup  ## start the Spark cluster (127.0.0.1:7077, 2 workers) and 3 Kafka brokers (127.0.0.1:19092,19094,19096)
	scripts/cluster.sh up

cluster-down:  ## stop the clusters this project started
	scripts/cluster.sh down

cluster-status:  ## one line per cluster process
	scripts/cluster.sh status

# Starts the clusters when they are not running and stops them afterwards only if it started them.
test-cluster: setup  ## the DAG, the API and the generator on the clusters, with a broker and a worker killed
	@started=0; \
	if scripts/cluster.sh status | grep -q stopped; then scripts/cluster.sh up && started=1; fi; \
	status=0; \
	$(VENV)/bin/python -m pytest tests/cluster $(PYTEST_ARGS) || status=$$?; \
	if [ $$started = 1 ]; then scripts/cluster.sh down; fi; \
	exit $$status

# --- Airflow plugin -----------------------------------------------------------------------------------
# plugins/: the Kafka offsets sensor and the "Game events reports" view; their tests also run in `make test`.
.PHONY: test-plugin
test-plugin: setup  ## the Airflow plugin's tests (offsets sensor, reports view in Chromium); needs `make kafka-up`
	$(VENV)/bin/python -m pytest tests/plugins tests/dags/test_dag_integrity.py $(PYTEST_ARGS)

# --- reliability ----------------------------------------------------------------------------------
# The reliability and security suite (tests/reliability), long cases included (broker kill -9, sustained
# load, Airflow runs). `make test` runs its short part. Starts the broker if needed, stops only what it started.
.PHONY: test-reliability
test-reliability: setup  ## the whole reliability and security suite, long cases included (~25 min)
	@started=0; \
	if ! scripts/kafka.sh status | grep -q running; then scripts/kafka.sh up && started=1; fi; \
	status=0; \
	$(VENV)/bin/python -m pytest tests/reliability -s $(PYTEST_ARGS) || status=$$?; \
	if [ $$started = 1 ]; then scripts/kafka.sh down; fi; \
	if [ $$status = 5 ]; then echo "pytest collected no tests: the suite is broken, not green" >&2; fi; \
	exit $$status

# --- the game API alone ----------------------------------------------------------------------------
# gunicorn on GAME_API_HOST:GAME_API_PORT (127.0.0.1:5000) with config/gunicorn.conf.py; state in .run/game_api.
.PHONY: api-up api-down api-dev
api-up: setup  ## start the game API under gunicorn (safe to call twice)
	scripts/game_api.sh up

api-down:  ## stop the game API this project started
	scripts/game_api.sh down

api-dev: setup  ## the game API on Flask's debug server, in the foreground (debugging only)
	$(VENV)/bin/flask --app services.game_api run --debug --host 127.0.0.1 --port $${GAME_API_PORT:-5000}
