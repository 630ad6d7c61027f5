# Ferry's two everyday commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run

GO ?= go
# -trimpath: builds name files by module path, not by where the checkout sits, so a second
# checkout (CI's clean clone) reuses the build cache rather than compiling everything again.
GOFLAGS += -trimpath
export GOFLAGS
FE := frontend
# WebKitGTK 4.1 needs the webkit2_41 tag where 4.0 is absent (evaluated after deps ran).
WEBKIT = $(shell pkg-config --exists webkit2gtk-4.0 2>/dev/null || { pkg-config --exists webkit2gtk-4.1 2>/dev/null && echo ,webkit2_41; })
GOFILES = $(shell find . -name '*.go' -not -path './$(FE)/*' -not -path './.git/*')
# The version ferry --version prints: wails.json's productVersion.
VERSION := $(shell sed -n 's/.*"productVersion": *"\([^"]*\)".*/\1/p' wails.json)
LDFLAGS := -X ferry/backend/cli.Version=$(VERSION)
# go-winres turns build/windows/ (manifest, version info) and build/appicon.png into the
# resource object linked into ferry.exe; pure Go, fetched through the module proxy.
WINRES := github.com/tc-hib/go-winres@v0.3.3

.PHONY: run test mutants bench build build-dev deps test-deps frontend check-fmt vet arch go-test fe-check e2e screenshot wailsjs \
	windows windows-check

# What the tests need besides the build: Xvfb and Chromium for e2e, PHP for the
# unserialize cross-check, poppler for PDF text, the mysql client tools and Debian's
# WordPress core files, Wine and NSIS for the Windows build, vsftpd for the FTP client's
# test against a real server (STAT listing). deps.sh keeps any service these pull in
# (apache2, vsftpd) from starting.
TEST_PKGS := xvfb xdotool imagemagick chromium php-cli php-mysql poppler-utils \
	zip unzip mariadb-client wordpress openssh-server vsftpd wine wine64 gcc-mingw-w64-x86-64 nsis
# The real servers and client the benchmarks compare against.
# bench/wan also needs iptables (the delay) and mariadb-server (a private server in its namespace).
BENCH_PKGS := lftp vsftpd openssh-server mariadb-client mariadb-server iptables time

## deps: system packages (apt, when root or with sudo -n) and npm packages (npm ci)
deps: $(FE)/node_modules/.ferry-stamp
	build/scripts/deps.sh

## test-deps: deps plus the packages the tests need
test-deps: $(FE)/node_modules/.ferry-stamp
	build/scripts/deps.sh $(TEST_PKGS)

$(FE)/node_modules/.ferry-stamp: $(FE)/package-lock.json
	cd $(FE) && npm ci --no-audit --no-fund
	touch $@

## frontend: type-check-free Vite build into frontend/dist (keeps dist/.gitkeep)
frontend: $(FE)/node_modules/.ferry-stamp
	cd $(FE) && npm run build --silent

## build: the desktop binary build/bin/ferry
build: deps frontend
	$(GO) build -tags desktop,production$(WEBKIT) -ldflags "$(LDFLAGS)" -o build/bin/ferry .

## build-dev: the binary the end-to-end test drives (serves the UI to a browser too)
build-dev: deps frontend
	$(GO) build -tags dev$(WEBKIT) -o build/bin/ferry-dev .

## windows: build/bin/ferry.exe for 64-bit Windows 10/11 (WebView2, no cgo), with the
## manifest, icon and version info of build/windows/; a GUI program that attaches to the
## console of the shell that runs a headless command
windows: frontend
	$(GO) run $(WINRES) make --in build/windows/winres.json --arch amd64 --out rsrc \
		--product-version $(VERSION) --file-version $(VERSION)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags desktop,production \
		-ldflags "$(LDFLAGS) -H windowsgui" -o build/bin/ferry.exe . || { rm -f rsrc_windows_amd64.syso; exit 1; }
	rm -f rsrc_windows_amd64.syso
	@ls -l build/bin/ferry.exe
	@# The installer (Wails' NSIS template), where Debian's nsis is installed: it also installs
	@# the WebView2 runtime through Microsoft's bootstrapper, which Wails ships.
	if command -v makensis >/dev/null; then \
		mkdir -p build/windows/installer/tmp && \
		cp "$$($(GO) list -m -f '{{.Dir}}' github.com/wailsapp/wails/v2)/internal/webview2runtime/MicrosoftEdgeWebview2Setup.exe" \
			build/windows/installer/tmp/ && chmod u+w build/windows/installer/tmp/*.exe && \
		(cd build/windows/installer && makensis -V2 -DARG_WAILS_AMD64_BINARY=../../bin/ferry.exe \
			-DINFO_PRODUCTVERSION=$(VERSION) project.nsi) && ls -l build/bin/Ferry-amd64-installer.exe; \
	else echo "windows: no installer (makensis not found: apt-get install nsis)"; fi

## windows-check: vet and compile every package (tests too) for Windows, then run
## ferry.exe under Wine (e2e/wine: --version, list, a manual migration into C:\ and MariaDB)
windows-check: windows
	GOOS=windows $(GO) vet ./...
	GOOS=windows $(GO) vet -tags e2e ./e2e/
	GOOS=windows $(GO) vet -tags wine ./e2e/wine/
	if [[ -x build/scripts/test-mysql.sh ]]; then \
		FERRY_TEST_MYSQL_DSN="$$(build/scripts/test-mysql.sh)"; export FERRY_TEST_MYSQL_DSN; fi; \
	WINEPREFIX="$$(mktemp -d /tmp/ferry-wine.XXXXXX)"; export WINEPREFIX; trap 'rm -rf "$$WINEPREFIX"' EXIT; \
	$(GO) test -tags wine -count=1 -timeout 5m -v ./e2e/wine/

## run: build everything and open Ferry
run: build
	./build/bin/ferry

check-fmt:
	@out="$$(gofmt -l $(GOFILES))"; if [[ -n "$$out" ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## arch: nothing under backend/ may import Wails
arch:
	@if $(GO) list -deps ./backend/... | grep -q wailsapp; then \
		echo "backend/ imports Wails:"; $(GO) list -deps ./backend/... | grep wailsapp; exit 1; fi
	@echo "arch: backend/ is free of Wails"

# CI=true turns every "skip when a server or tool is missing" into a failure: make test never
# passes by skipping (mysqltest, phptest). On a machine busy with other work backend/pipeline
# ran past go test's default 10 minutes under -race: each package gets 15.
#
# Every test runs under -race but KILL_TESTS: each runs ferry as child processes and kills
# them with SIGKILL mid-step, so a race report from the child it kills could never be seen,
# and under -race they took 118 s of a CPU-bound 573 s run on 2 cores (backend/cli as a
# whole: 161 s under -race, 48 s without). The code they drive runs under -race in
# backend/pipeline's resume and stop tests. They run beside the -race run: they mostly wait
# on their children.
#
# PROBE_TESTS time the MySQL link probe on a machine kept busy: they run beside the -race run
# too (so the machine is busy), without -race, as Ferry is built. Under -race the probe's own
# reader is several times slower than Ferry's, and one CI run measured loopback at 15 MB/s.
KILL_NAMES := TestKill9ThenRetryResumes|TestStopOrDeleteOfAKilledImportDropsItsUnfinishedTables|TestAgentOfAKilledRunIsRemovedAtTheNextStart|TestBatchResumesAfterKill9|TestStopDuringImportLeavesOnlyWholeTables
PROBE_NAMES := TestBusyMachineKeepsLoopbackFast
KILL_TESTS := ^($(KILL_NAMES))$$
PROBE_TESTS := ^($(PROBE_NAMES))$$
RACE_SKIP := ^($(KILL_NAMES)|$(PROBE_NAMES))$$
go-test:
	export CI=true; \
	if [[ -x build/scripts/test-mysql.sh ]]; then \
		FERRY_TEST_MYSQL_DSN="$$(build/scripts/test-mysql.sh)"; export FERRY_TEST_MYSQL_DSN; fi; \
	log="$$(mktemp)"; trap 'rm -f "$$log"' EXIT; \
	{ $(GO) test -count=1 -timeout 15m -run '$(KILL_TESTS)' ./backend/cli/ && \
	  $(GO) test -count=1 -timeout 5m -v -run '$(PROBE_TESTS)' ./backend/mysqldb/; } > "$$log" 2>&1 & kills=$$!; \
	rc=0; $(GO) test -race -count=1 -p 2 -timeout 15m -skip '$(RACE_SKIP)' ./... || rc=$$?; \
	wait $$kills || rc=1; echo "== kill -9 and probe tests, without -race:"; cat "$$log"; exit $$rc

fe-check: $(FE)/node_modules/.ferry-stamp
	cd $(FE) && npx vue-tsc --noEmit
	cd $(FE) && npx prettier --check .
	cd $(FE) && npx vitest run

## e2e: the real backend under Xvfb driven by headless Chromium. e2e/ui_test.go starts
## SFTP/FTP servers with a WordPress site and MariaDB databases, then runs frontend/e2e/.
e2e: build-dev
	export CI=true; \
	if [[ -x build/scripts/test-mysql.sh ]]; then \
		FERRY_TEST_MYSQL_DSN="$$(build/scripts/test-mysql.sh)"; export FERRY_TEST_MYSQL_DSN; fi; \
	$(GO) vet -tags e2e ./e2e/ && \
	$(GO) test -tags e2e -count=1 -timeout 15m -v ./e2e/

## test: every check CI runs, in order, stopping at the first failure
## (each check prints how long it took: CI's budget is 20 minutes in all)
test: test-deps
	@# go-test has just run every mutant's tests on this tree: no baseline run again.
	@for c in check-fmt vet arch go-test "mutants MUTANTS_FLAGS=-baseline=false" fe-check build windows-check e2e; do \
		s=$$(date +%s); $(MAKE) --no-print-directory $$c; echo "== make $${c%% *}: $$(($$(date +%s) - s)) s"; done

## mutants: plant each bug of test/mutants/*.mutant in turn and fail unless its tests catch it
mutants:
	export CI=true; \
	if [[ -x build/scripts/test-mysql.sh ]]; then \
		FERRY_TEST_MYSQL_DSN="$$(build/scripts/test-mysql.sh)"; export FERRY_TEST_MYSQL_DSN; fi; \
	$(GO) run ./test/mutants/cmd $(MUTANTS_FLAGS)

## bench: Go benchmarks plus every bench/*/run.sh; bench/wan at 40 ms RTT, one round
## (WAN_RTTS="0 40 120" WAN_ROUNDS=3 for the whole comparison)
bench: test-deps
	build/scripts/deps.sh $(BENCH_PKGS)
	$(GO) test -run '^$$' -bench . -benchmem ./backend/...
	for s in bench/*/run.sh; do [[ -e "$$s" ]] || continue; echo "== $$s"; \
		if [[ "$$s" == bench/wan/run.sh ]]; then RTTS="$${WAN_RTTS:-40}" ROUNDS="$${WAN_ROUNDS:-1}" bash "$$s"; \
		else bash "$$s"; fi; done

## screenshot: capture the real desktop window under Xvfb
screenshot: build
	build/scripts/screenshot.sh

## wailsjs: regenerate frontend/wailsjs after changing a bound method or DTO
wailsjs:
	tmp="$$(mktemp -d)"; FERRY_DATA_DIR="$$tmp" FERRY_KEYRING=off wails generate module; rm -rf "$$tmp"
