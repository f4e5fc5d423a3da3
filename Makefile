# Agent Kanban: the commands a contributor and CI need. `make help` lists them.

CARGO ?= cargo
# Where `make run` keeps its database (created on first start).
DATABASE_URL ?= data/agent_kanban.db
HOST ?= 127.0.0.1
PORT ?= 18000
# Where cargo puts its builds (CARGO_TARGET_DIR when set, as on a machine with shared builds).
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.DEFAULT_GOAL := help
.PHONY: help run test unit lint fmt bench bench-quick bench-growth release clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Build and serve on http://127.0.0.1:18000 with the SQLite file data/agent_kanban.db
	$(CARGO) run -p agent-kanban -- serve --host $(HOST) --port $(PORT) --database-url $(DATABASE_URL)

test: lint unit ## The whole suite: lint, then every unit, contract and end-to-end test

unit: ## Every test of the workspace (no lint)
	$(CARGO) test --workspace --all-features

lint: ## rustfmt check, clippy with warnings denied, and the crate layering check
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	./scripts/check-layering.sh

fmt: ## Format the code
	$(CARGO) fmt --all

bench: ## Build release binaries and measure them (table on stdout, target/bench/report.json)
	$(CARGO) build --release -p agent-kanban -p kanban-bench
	$(TARGET_DIR)/release/kanban-bench --server $(TARGET_DIR)/release/agent-kanban $(BENCH_ARGS)

bench-quick: ## A shorter, noisier `make bench`, without the growth section
	$(MAKE) bench BENCH_ARGS=--quick

bench-growth: ## Only the growth section of `make bench` (1,000,000 tickets; page 1 vs page 1,000)
	$(MAKE) bench BENCH_ARGS=--growth

release: ## Build the optimised binary at target/release/agent-kanban
	$(CARGO) build --release -p agent-kanban

clean: ## Remove build artefacts (not the data directory)
	$(CARGO) clean
