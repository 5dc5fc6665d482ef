# nnrun — build, test, data, bench.
#   make            library (build/libnn.a) + bin/nnrun
#   make test       every tests/test_*.c (cmocka) + end-to-end spec tests
#   make SAN=1 test the same, built with AddressSanitizer + UBSan into build-san/ (and a graph
#                   whose node array moves with every node added, see runtime/graph.c)
#   make data       MNIST into data/ (see scripts/fetch_data.sh)
#   make bench      nnrun vs the PyTorch reference scripts, one line per model
#   make install PREFIX=/usr/local

CC      ?= cc
PREFIX  ?= /usr/local
SAN     ?= 0

PKGS    := yaml-0.1 libpng zlib
CFLAGS_BASE := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -fopenmp -Iinclude -Iinterpreter \
               $(shell pkg-config --cflags $(PKGS)) -I/usr/include/x86_64-linux-gnu/openblas-pthread
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lopenblas -lm -fopenmp

ifeq ($(SAN),1)
  BUILD  := build-san
  CFLAGS := $(CFLAGS_BASE) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
            -DNN_GRAPH_GROW_BY_ONE
  LDFLAGS += -fsanitize=address,undefined
else
  BUILD  := build
  CFLAGS := $(CFLAGS_BASE) -O3 -march=native -g
endif
# The kernels in runtime/kernels/fastmath/, whose loops should use glibc's vector math (libmvec),
# are built with fast math; nothing in them checks for NaN/Inf (that happens in the rest of
# runtime/ and in interpreter/).
FASTMATH := -ffast-math -fno-finite-math-only

RT_SRC   := $(wildcard runtime/*.c runtime/*/*.c runtime/*/*/*.c)
RT_OBJ   := $(RT_SRC:%.c=$(BUILD)/%.o)
INT_SRC  := $(filter-out interpreter/main.c,$(wildcard interpreter/*.c))
INT_OBJ  := $(INT_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libnn.a
INTLIB   := $(BUILD)/libnnrun.a
NNRUN    := $(if $(filter 1,$(SAN)),$(BUILD)/nnrun,bin/nnrun)

.PHONY: all test data bench install clean
all: $(NNRUN)

# `make V=1` prints the full commands.
Q := $(if $(filter 1,$(V)),,@)
say = $(if $(Q),@printf '  %-6s %s\n' $(1) $(2))

$(BUILD)/runtime/kernels/fastmath/%.o: runtime/kernels/fastmath/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(FASTMATH) -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(RT_OBJ)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(INTLIB): $(INT_OBJ)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(NNRUN): $(BUILD)/interpreter/main.o $(INTLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(INTLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(INTLIB) $(LIB) $(LDLIBS) -lcmocka

test: $(NNRUN) $(TEST_BIN)
	@NNRUN=$(NNRUN) BUILD=$(BUILD) scripts/run_tests.sh $(TEST_BIN)

data:
	scripts/fetch_data.sh

bench: all
	scripts/bench.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/nn
	install -m 755 bin/nnrun $(DESTDIR)$(PREFIX)/bin/nnrun
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libnn.a
	install -m 644 include/nn/*.h $(DESTDIR)$(PREFIX)/include/nn/

clean:
	rm -rf build build-san bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
