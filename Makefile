# nnrun — build, test, data, bench.
#   make            the runtime libraries (build/libnn.a, libnndata.a, libnnplot.a) + bin/nnrun
#   make test       every tests/test_*.c (cmocka) + end-to-end spec tests + the fuzz harnesses'
#                   regression inputs and seeds, replayed through their gcc builds
#   make SAN=1 test the same, built with AddressSanitizer + UBSan into build-san/ (and a graph
#                   whose node array moves with every node added, see runtime/core/graph.c)
#   make fuzz [FUZZ_SECONDS=N] [FUZZ_RUNS=M] [FUZZ_TARGETS="spec csv ..."]
#                   each libFuzzer harness of tests/fuzz/ (FUZZ_TARGETS, all by default) for N
#                   seconds (60) or M inputs if sooner, one after the other on one core, built with clang-14 and
#                   -fsanitize=fuzzer,address,undefined into build-fuzz/ (scripts/fuzz.sh); a
#                   crash stops it and leaves the input in build-fuzz/crashes/. `make test`
#                   replays tests/fuzz/regressions/ through the same harnesses built with gcc.
#   make data       MNIST, IMDB, books, translation pairs and word vectors into data/ (see scripts/fetch_data.sh)
#   make bench      nnrun vs the PyTorch reference scripts, one line per model
#   make bench-mpi  two MPI ranks vs one process (one and two threads), one line per model
#   make bench-load the same with one core kept busy by another process: each side's slowdown
#   make MARCH=native  the library for this CPU alone (its hot loops still choose at run time)
#   make install PREFIX=/usr/local   bin/nnrun, the three runtime archives, include/nn/*.h,
#                   lib/pkgconfig/nn.pc (`pkg-config --cflags --libs nn`: what a C user of libnn needs)
#                   and share/man/man1/nnrun.1 (`man nnrun`; alone: make install-man)

CC      ?= cc
PREFIX  ?= /usr/local
SAN     ?= 0
FUZZ    ?= 0
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60

PKGS    := yaml-0.1 libpng zlib
CFLAGS_BASE := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -fopenmp -Iinclude \
               $(shell pkg-config --cflags $(PKGS)) -I/usr/include/x86_64-linux-gnu/openblas-pthread
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lopenblas -lm -fopenmp

# Data-parallel training (nn/dist.h, runtime/core/dist.c) over MPI, built in when Open MPI's
# headers are installed (pkg-config ompi-c); `make MPI=0` builds without.
# The fuzz build goes without (a harness is one process that never talks to another).
MPI     ?= $(if $(filter 1,$(FUZZ)),0,$(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0))
ifeq ($(MPI),1)
  MPI_CFLAGS := $(shell pkg-config --cflags ompi-c) -DNN_WITH_MPI
  LDLIBS     += $(shell pkg-config --libs ompi-c)
endif

# The instruction set everything is compiled for: a portable baseline, so that the binary runs on
# any x86-64 CPU since about 2009 (SSE4.2, POPCNT). The hot loops are compiled for AVX2 and
# AVX-512 too and chosen at start-up from cpuid (runtime/core/kernel_isa.h); `make MARCH=native`
# builds the rest for this machine alone. Both builds, plain and sanitized, run the AVX-512 loops
# on a CPU that has them (NNRUN_KERNELS=base|avx2 runs the others).
MARCH   ?= x86-64-v2
# FUZZ=1 (set by `make fuzz`): everything instrumented for libFuzzer (coverage, ASan, UBSan);
# the harnesses alone link libFuzzer's main; tests/fuzz/coverage_ignore.txt lists the numeric
# sources built without coverage. -Wno-pass-failed: at -O1 with the sanitizers clang cannot
# vectorise every `omp simd` loop, and says so.
ifeq ($(FUZZ),1)
  BUILD  := build-fuzz
  CC     := $(FUZZ_CC)
  CFLAGS := $(CFLAGS_BASE) -march=$(MARCH) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined -Wno-pass-failed -fsanitize-coverage-ignorelist=tests/fuzz/coverage_ignore.txt
  LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SAN),1)
  BUILD  := build-san
  CFLAGS := $(CFLAGS_BASE) -march=$(MARCH) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined -DNN_GRAPH_GROW_BY_ONE
  LDFLAGS += -fsanitize=address,undefined
else
  BUILD  := build
  CFLAGS := $(CFLAGS_BASE) -march=$(MARCH) -O3 -g
endif
# The kernels in runtime/kernels/fastmath/, whose loops should use glibc's vector math (libmvec),
# are built with fast math; nothing in them checks for NaN/Inf (that happens in the rest of
# runtime/ and in interpreter/).
FASTMATH := -ffast-math -fno-finite-math-only

# runtime/ builds three archives along its dependency boundaries (runtime/README.md): libnn (the
# folders of NN_DIRS; BLAS/LAPACK, OpenMP, libm), libnndata (data/: + zlib) and libnnplot
# (plot/: + libpng), so that a C user of libnn pulls neither zlib nor libpng.
NN_DIRS  := core ops kernels kernels/fastmath train io
src_in    = $(wildcard $(foreach d,$(1),runtime/$(d)/*.c))
objs_in   = $(patsubst %.c,$(BUILD)/%.o,$(call src_in,$(1)))
RT_STRAY := $(filter-out $(call src_in,$(NN_DIRS) data plot),$(shell find runtime -name '*.c'))
$(if $(RT_STRAY),$(error runtime sources in no archive's folder: $(RT_STRAY)))
# interpreter/ is in folders along its layers (interpreter/README.md): main.c and version.c on
# top, the rest in INT_DIRS; all but main.c go into libnnrun.
INT_DIRS := lang build run out cli
INT_SRC  := $(filter-out interpreter/main.c,$(wildcard interpreter/*.c $(foreach d,$(INT_DIRS),interpreter/$(d)/*.c)))
INT_STRAY := $(filter-out $(INT_SRC) interpreter/main.c,$(shell find interpreter -name '*.c'))
$(if $(INT_STRAY),$(error interpreter sources in no folder of INT_DIRS: $(INT_STRAY)))
INT_OBJ  := $(INT_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# The tests include interpreter headers by name, from any of its folders.
TEST_INC := $(addprefix -Iinterpreter/,$(INT_DIRS))
# tests/fuzz/: a libFuzzer harness per fuzz_<name>.c; built with gcc against replay_main.c it
# replays tests/fuzz/regressions/<name>/ in `make test`.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BIN := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_BIN   := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
LIB      := $(BUILD)/libnn.a
DATALIB  := $(BUILD)/libnndata.a
PLOTLIB  := $(BUILD)/libnnplot.a
INTLIB   := $(BUILD)/libnnrun.a
# Link order: each archive before the ones it uses.
LIBS     := $(INTLIB) $(DATALIB) $(PLOTLIB) $(LIB)
VERSION  := $(shell sed -n 's/^\#define NNRUN_VERSION "\(.*\)"/\1/p' interpreter/version.h)
NNRUN    := $(if $(filter 1,$(SAN)),$(BUILD)/nnrun,bin/nnrun)

.PHONY: all test data bench bench-mpi bench-load install install-man clean fuzz fuzz-bins
all: $(NNRUN)

# `make V=1` prints the full commands.
Q := $(if $(filter 1,$(V)),,@)
say = $(if $(Q),@printf '  %-6s %s\n' $(1) $(2))

# Every object is rebuilt when the compiler flags change (make MARCH=native, then make).
$(BUILD)/cflags.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS)' > $@

$(BUILD)/runtime/kernels/fastmath/%.o: runtime/kernels/fastmath/%.c $(BUILD)/cflags.txt
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(FASTMATH) -MMD -MP -c $< -o $@

$(BUILD)/runtime/%.o: runtime/%.c $(BUILD)/cflags.txt
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The interpreter includes its own headers by relative path, like runtime/.
$(BUILD)/interpreter/%.o: interpreter/%.c $(BUILD)/cflags.txt
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The commit nnrun is built from (report.html's header): version.o is rebuilt when it changes.
COMMIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/interpreter/version.o: CFLAGS += -DNNRUN_COMMIT='"$(COMMIT)"'
$(BUILD)/interpreter/version.o: $(BUILD)/commit.txt
$(BUILD)/commit.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(COMMIT)' | cmp -s - $@ || echo '$(COMMIT)' > $@
.PHONY: FORCE
FORCE:

# dist.o is rebuilt when MPI is switched on or off.
$(BUILD)/runtime/core/dist.o: CFLAGS += $(MPI_CFLAGS)
$(BUILD)/runtime/core/dist.o: $(BUILD)/mpi.txt
$(BUILD)/mpi.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(MPI)' | cmp -s - $@ || echo '$(MPI)' > $@

# One archive per group of folders.
$(LIB):     $(call objs_in,$(NN_DIRS))
$(DATALIB): $(call objs_in,data)
$(PLOTLIB): $(call objs_in,plot)
$(INTLIB):  $(INT_OBJ)
$(BUILD)/%.a:
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(NNRUN): $(BUILD)/interpreter/main.o $(LIBS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(TEST_INC) -MMD -MP $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS) -lcmocka

# The micro-benchmarks (tests/bench_*.c), built only on demand by scripts/bench_*.sh: libnn alone.
$(BUILD)/bench/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(LIBS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(TEST_INC) -MMD -MP $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c $(LIBS) $(LDLIBS)

$(BUILD)/tests/fuzz/make_seeds: tests/fuzz/make_seeds.c $(LIBS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(TEST_INC) -MMD -MP $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

# The harnesses with libFuzzer's main (FUZZ=1 only).
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(TEST_INC) -MMD -MP $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBS) $(LDLIBS)

test: $(NNRUN) $(TEST_BIN) $(REPLAY_BIN) $(BUILD)/tests/fuzz/make_seeds
	@NNRUN=$(NNRUN) BUILD=$(BUILD) scripts/run_tests.sh $(TEST_BIN)

# The seeds come from the gcc build's make_seeds; the harnesses from a clang build of their own.
fuzz: $(BUILD)/tests/fuzz/make_seeds
	$(MAKE) FUZZ=1 fuzz-bins
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) SEEDER=$(BUILD)/tests/fuzz/make_seeds scripts/fuzz.sh $(FUZZ_TARGETS)

fuzz-bins: $(FUZZ_BIN)

# The translation vectors are written by nnrun itself (nnrun vectors, nnrun corpus).
data: $(NNRUN)
	NNRUN=$(NNRUN) scripts/fetch_data.sh

bench: all
	scripts/bench.sh

bench-mpi: all
	scripts/bench_mpi.sh

bench-load: all
	scripts/bench_load.sh

install: all install-man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/nn
	install -m 755 bin/nnrun $(DESTDIR)$(PREFIX)/bin/nnrun
	install -m 644 $(LIB) $(DATALIB) $(PLOTLIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/nn/*.h $(DESTDIR)$(PREFIX)/include/nn/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@MPI_LIBS@|$(if $(filter 1,$(MPI)),$(shell pkg-config --libs ompi-c))|' \
	    runtime/nn.pc.in > $(BUILD)/nn.pc
	install -m 644 $(BUILD)/nn.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/nn.pc

# The man page alone (builds nothing; tests/man_test.sh installs it into a scratch DESTDIR).
install-man:
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 docs/nnrun.1 $(DESTDIR)$(PREFIX)/share/man/man1/nnrun.1

clean:
	rm -rf build build-san build-fuzz bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
