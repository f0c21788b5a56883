# brace — a plain GNU Makefile.
#
#   make            build build/brace (optimised, with debug info), its manual
#                   pages (build/man) and its bash completion (build/completion)
#   make check      install missing build/test packages, build a sanitized copy
#                   (build/asan/brace), run the unit tests and the integration tests
#   make demo       install what is missing, build, and show brace at work
#   make fuzz       build the libFuzzer targets with clang and run each for FUZZ_SECONDS
#   make install    install the binary, the manual pages and the completion
#                   into $(DESTDIR)$(PREFIX); make uninstall removes them
#   make clean
#
# Objects go out of tree under build/, header dependencies are tracked with -MMD,
# libraries come through pkg-config.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
CC         ?= cc
PKG_CONFIG ?= pkg-config

# Every library the code uses, by pkg-config name. The database and HTTP
# clients, OpenSSL and SQLite are only compiled against (their headers):
# brace loads them with dlopen(3) when a connection, a ping, a TLS
# configuration of brace lb or the journal first needs one (src/core/dl.h),
# so that the libraries they bring are not mapped at every start. The unit
# tests whose helpers make certificates call OpenSSL themselves, and the
# journal's tests read its file with SQLite: they alone link those two
# (TEST_LIBS).
LINKED_PKGS := libpcre2-8 zlib
LOADED_PKGS := libpq libmariadb libcurl openssl sqlite3
PKGS := $(LINKED_PKGS) $(LOADED_PKGS)

PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(LINKED_PKGS))
TEST_LIBS  = $(shell $(PKG_CONFIG) --libs openssl sqlite3 cmocka)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-unused-parameter
BASEFLAGS := -std=gnu11 -g $(WARN) -D_GNU_SOURCE -DBRACE_VERSION='"$(VERSION)"' -Isrc
CFLAGS    ?= -O2
ALLCFLAGS  = $(BASEFLAGS) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS     = $(PKG_LIBS) -lpthread -lm

SAN_FLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined

SRCS      := $(sort $(wildcard src/*.c src/*/*.c))
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
OBJS      := $(SRCS:src/%.c=build/obj/%.o)
SAN_OBJS  := $(SRCS:src/%.c=build/asan/obj/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:src/%.c=build/asan/obj/%.o)

UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)

PYTEST ?= /usr/bin/python3 -m pytest

# `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n'
endif

.PHONY: all check check-build unit integration demo deps install uninstall clean fuzz man \
        completion

all: build/brace man completion

build/brace: $(OBJS)
	$(say) LINK $@
	$(Q)$(CC) $(CFLAGS) -o $@ $(OBJS) $(LDFLAGS) $(LDLIBS)

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(ALLCFLAGS) -c -o $@ $<

# The sanitized copy used by every test.
build/asan/brace: $(SAN_OBJS)
	$(say) LINK $@
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(SAN_OBJS) $(LDFLAGS) $(LDLIBS)

build/asan/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(say) CC-SAN $<
	$(Q)$(CC) $(BASEFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

build/asan/tests/%: tests/unit/%.c $(SAN_LIB_OBJS)
	@mkdir -p $(@D)
	$(say) TEST $@
	$(Q)$(CC) $(BASEFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) \
	    -Itests/unit -o $@ $< $(SAN_LIB_OBJS) $(LDFLAGS) $(LDLIBS) $(TEST_LIBS)

# The manual pages and the completion are built from the binary's own --help
# texts (and README.md, docs/lb.md, man/brace.md), so they follow them.
MAN_STAMP := build/man/.stamp
man: $(MAN_STAMP)
$(MAN_STAMP): build/brace scripts/mkman scripts/helptext.py README.md docs/lb.md man/brace.md
	$(say) MAN build/man
	$(Q)scripts/mkman --brace build/brace --out build/man
	@touch $@

completion: build/completion/brace
build/completion/brace: build/brace scripts/mkcompletion scripts/helptext.py
	$(say) GEN $@
	$(Q)scripts/mkcompletion --brace build/brace --out $@

# `make check` may start on a machine with nothing installed: install what is
# missing first, then run the real work in a fresh make so that pkg-config sees
# the new packages.
check: deps
	@$(MAKE) --no-print-directory check-build
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

check-build: build/brace build/asan/brace $(UNIT_BINS) man completion

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; ./$$t; done

integration: build/brace build/asan/brace
	BRACE=$(abspath build/asan/brace) BRACE_OPT=$(abspath build/brace) \
	    $(PYTEST) -q -p no:cacheprovider tests/integration

deps:
	@scripts/install-deps

demo: deps
	@$(MAKE) --no-print-directory build/brace
	@scripts/demo

FUZZ_SECONDS ?= 60
fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk FUZZ_SECONDS=$(FUZZ_SECONDS)

install: build/brace man completion
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 build/brace $(DESTDIR)$(BINDIR)/brace
	install -m 0644 build/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 build/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 build/completion/brace $(DESTDIR)$(BASHCOMPDIR)/brace

# The pages are brace.1, brace-COMMAND.1 and brace-lb.conf.5, whichever
# commands the installed binary had.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/brace $(DESTDIR)$(BASHCOMPDIR)/brace
	rm -f $(DESTDIR)$(MANDIR)/man1/brace.1 $(DESTDIR)$(MANDIR)/man1/brace-*.1 \
	    $(DESTDIR)$(MANDIR)/man5/brace-lb.conf.5

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(UNIT_BINS:=.d)
