# tests/fuzz/fuzz.mk - build the libFuzzer targets with clang and run each in turn.
#
#   make fuzz [FUZZ_SECONDS=60]                       every target, one after another
#   make -f tests/fuzz/fuzz.mk run-fuzz_request       one target
#   make -f tests/fuzz/fuzz.mk build/fuzz/fuzz_request   build only
#   make -f tests/fuzz/fuzz.mk FUZZ_ARGS=-jobs=2 ...  extra libFuzzer flags
#
# Each target is tests/fuzz/NAME.c linked with only the sources it needs,
# built with -fsanitize=fuzzer,address,undefined into build/fuzz/NAME. A run
# copies the seed corpus tests/fuzz/corpus/NAME/ into build/fuzz/NAME.work/
# (the repository corpus is never written to; the scratch corpus grows from
# run to run), fuzzes for FUZZ_SECONDS, and fails if libFuzzer reports a
# crash, leak, timeout or broken invariant; the input is then saved in
# build/fuzz/NAME.work/artifacts/ and the log in build/fuzz/NAME.work/log.
#
# Adding a target takes one line in the list below: its name, the sources
# it links, extra libFuzzer flags and libraries, e.g. for a parser using libm
#   $(eval $(call fuzz_target,fuzz_NAME,src/DIR/NAME.c ...,,-lm))

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -Wshadow \
                -Wno-unused-parameter -D_GNU_SOURCE -Isrc -Itests/fuzz $(FUZZ_SAN)
FUZZ_HEADERS := $(wildcard src/*/*.h tests/fuzz/*.h)
FUZZ_TARGETS :=

# $(call fuzz_target,NAME,SOURCES,FLAGS,LIBS): build/fuzz/NAME from
# tests/fuzz/NAME.c and SOURCES, linked with LIBS; run-NAME fuzzes it with
# FLAGS added to the libFuzzer command line.
define fuzz_target
FUZZ_TARGETS += $(1)
$(1)_FLAGS := $(3)
build/fuzz/$(1): tests/fuzz/$(1).c $(2) $$(FUZZ_HEADERS) | build/fuzz/.toolchain
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ tests/fuzz/$(1).c $(2) $(4)
endef

# The targets: name, the sources each one links, extra libFuzzer flags, libraries.
$(eval $(call fuzz_target,fuzz_request,src/lb/http.c,-dict=tests/fuzz/http.dict))
$(eval $(call fuzz_target,fuzz_response,src/lb/http.c,-dict=tests/fuzz/http.dict))
$(eval $(call fuzz_target,fuzz_chunked,src/lb/http.c,-dict=tests/fuzz/chunked.dict -max_len=20000))
$(eval $(call fuzz_target,fuzz_config,src/lb/config.c src/lb/config_file.c src/lb/config_key.c src/lb/ring.c src/core/units.c src/core/err.c src/core/log.c src/core/clock.c,-dict=tests/fuzz/config.dict -max_len=8192,-lm))
# db_url.c asks libpq which connection keywords it knows: the database module
# comes along (its clients are loaded at run time, only their headers are needed).
DB_SRCS := src/core/db_url.c src/core/db.c src/core/db_pg.c src/core/db_my.c src/core/dl.c \
           src/core/resolve.c src/core/wait.c src/core/clock.c src/core/units.c src/core/buf.c \
           src/core/err.c
DB_CLIENT_CFLAGS := $(shell pkg-config --cflags libpq libmariadb)
$(eval $(call fuzz_target,fuzz_dburl,$(DB_SRCS),-dict=tests/fuzz/dburl.dict -max_len=1024,$(DB_CLIENT_CFLAGS) -lm -lpthread))
$(eval $(call fuzz_target,fuzz_logline,src/logs/format.c src/logs/timestamp.c src/logs/jsonl.c src/logs/timing.c src/logs/mask.c src/core/buf.c src/core/clock.c src/core/units.c src/core/err.c,-max_len=4096))
# tls.c reaches OpenSSL through lb/ossl.c's table (loaded at run time); the
# target's own certificate maker calls it directly, hence -lssl -lcrypto.
$(eval $(call fuzz_target,fuzz_tls_hello,src/lb/tls.c src/lb/tlscert.c src/lb/ossl.c src/core/dl.c src/lb/sni.c src/lb/config.c src/lb/config_key.c src/lb/ring.c src/core/prom.c src/core/json.c src/core/buf.c src/core/clock.c src/core/units.c src/core/err.c src/core/log.c,-max_len=16384,-lssl -lcrypto -lm -lpthread))
$(eval $(call fuzz_target,fuzz_miner,src/logs/miner.c src/logs/mask.c src/logs/strtab.c src/logs/timestamp.c src/core/buf.c src/core/hugemap.c src/core/clock.c src/core/units.c src/core/err.c,-max_len=16384,-lm))

.DEFAULT_GOAL := all
.PHONY: all build
.NOTPARALLEL:

all: $(FUZZ_TARGETS:%=run-%)

build: $(FUZZ_TARGETS:%=build/fuzz/%)

# Fail early, with the fix, when clang or its fuzzer runtime is missing.
build/fuzz/.toolchain:
	@mkdir -p $(@D)
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	    echo "fuzz: $(FUZZ_CC) not found; run scripts/install-deps --bench (clang, libclang-rt-14-dev)" >&2; \
	    exit 1; fi
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
	    > $(@D)/toolchain.c
	@if ! $(FUZZ_CC) $(FUZZ_SAN) -o $(@D)/toolchain $(@D)/toolchain.c 2>/dev/null; then \
	    echo "fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer; run scripts/install-deps --bench" \
	         "(libclang-rt-14-dev)" >&2; \
	    exit 1; fi
	@rm -f $(@D)/toolchain $(@D)/toolchain.c
	@touch $@

run-%: build/fuzz/%
	@w=build/fuzz/$*.work; mkdir -p $$w/corpus $$w/artifacts; \
	cp tests/fuzz/corpus/$*/* $$w/corpus/; \
	echo "== $* for $(FUZZ_SECONDS)s (log: $$w/log)"; \
	status=0; \
	./build/fuzz/$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$$w/artifacts/ $($*_FLAGS) $(FUZZ_ARGS) \
	    $$w/corpus > $$w/log 2>&1 || status=$$?; \
	grep -E '^#[0-9]+.*(DONE|INITED)|^stat::number_of_executed_units|^stat::peak_rss_mb' \
	    $$w/log | tail -n 3; \
	found=$$(ls $$w/artifacts | head -n 5); \
	if [ $$status -ne 0 ] || [ -n "$$found" ]; then \
	    tail -n 40 $$w/log; \
	    echo "fuzz: $* FAILED (exit $$status); inputs in $$w/artifacts: $$found" >&2; \
	    exit 1; \
	fi
