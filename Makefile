# locus — build, test, demo, bench.
#
#   make            library, CLI (build/locus) and, when an MPI compiler is
#                   found, build/locus-mpi
#   make test       the whole test suite (ends with a pass/fail count)
#   make test-sanitize   the suite again under ASan + UBSan (build-san/)
#   make demo       install missing packages, build, run on a synthetic movie
#   make bench      benchmarks → bench/results.md
#   make fuzz       fuzz the image readers for a minute per harness
#   make python     the Python module → build/python/locus (import locus)
#   make format     clang-format every C file
#
# ARCH selects the instruction set; the default tunes for this machine.
# Use `make ARCH=` for a portable binary. Results do not depend on ARCH:
# floating-point contraction is off, so no FMA can change a rounding.

BUILD    ?= build
CC       ?= cc
ARCH     ?= -march=native
OPT      ?= -O3
PKGS      = libpng libtiff-4 libdeflate expat libjpeg libavformat libavcodec libswscale libavutil
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# FFmpeg's libraries are not linked: src/io/video_av.c loads them when a
# video is first opened (linked, they cost every run 150 ms and 20 MB).
LINK_PKGS  = libpng libtiff-4 libdeflate expat libjpeg
PKG_LIBS   := $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null || echo -lpng16 -ltiff -ldeflate -lexpat -ljpeg)

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(ARCH) -g -ffp-contract=off -fno-math-errno \
             -fPIC -fvisibility=hidden -pthread $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) \
             $(SAN) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm -pthread $(SAN) $(LDFLAGS)

LIB_SRC  = $(sort $(wildcard src/*/*.c))
LIB_CXX  = $(sort $(wildcard src/*/*.cc))
CLI_SRC  = $(sort $(wildcard cli/*.c))
TEST_SRC = $(sort $(wildcard tests/*/test_*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(LIB_CXX:%.cc=$(BUILD)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

# test programs find tests/check.h
$(BUILD)/tests/%.o: CFLAGS_ALL += -Itests

# keep object files of test programs (make would delete them as intermediates)
.SECONDARY:

# The MPI build, when an MPI compiler wrapper is found.
MPICC ?= $(shell command -v mpicc 2>/dev/null)
MPI_BIN = $(if $(MPICC),$(BUILD)/locus-mpi)
MPI_CLI_OBJ = $(BUILD)/cli/options.o $(BUILD)/cli/run.o $(BUILD)/cli/progress.o

.PHONY: all test test-sanitize test-portable demo bench fuzz format clean deps python
all: $(BUILD)/liblocus.a $(BUILD)/locus $(TEST_BIN) $(MPI_BIN)

# `make V=1` shows the commands.
Q = $(if $(V),,@)

$(BUILD)/%.o: %.c $(wildcard include/*.h src/*/*.h cli/*.h tests/*.h tests/*/*.h) Makefile
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC    $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

# The C++ files wrap header-only libraries (dragonbox, fast_float); they
# need no C++ runtime.
CXX      ?= c++
DRAGONBOX_CFLAGS := $(firstword $(wildcard /usr/include/dragonbox-*))
# fast_float (libfast-float-dev) installs in /usr/include; a copy elsewhere
# can be named with FAST_FLOAT_INC=DIR (the directory holding fast_float/).
FAST_FLOAT_INC ?= $(patsubst %/fast_float/fast_float.h,%,$(firstword $(wildcard \
                    /usr/local/include/fast_float/fast_float.h)))
FAST_FLOAT_CFLAGS := $(if $(FAST_FLOAT_INC),-I$(FAST_FLOAT_INC))
CXXFLAGS_ALL = -std=c++17 $(OPT) $(ARCH) -g -ffp-contract=off -fPIC -fvisibility=hidden \
               -fno-exceptions -fno-rtti -Wall -Wextra -Werror -I$(DRAGONBOX_CFLAGS) \
               $(FAST_FLOAT_CFLAGS) $(SAN)

$(BUILD)/%.o: %.cc Makefile
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CXX   $<")
	$(Q)$(CXX) $(CXXFLAGS_ALL) -c $< -o $@
	@# the header-only libraries' C++ code (mangled _Z names) is the file's own
	$(Q)objcopy --wildcard --localize-symbol='_Z*' $@

$(BUILD)/liblocus.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/locus: $(CLI_OBJ) $(BUILD)/liblocus.a
	@$(if $(V),,echo "  LD    $@")
	$(Q)$(CC) -o $@ $(CLI_OBJ) $(BUILD)/liblocus.a $(LDLIBS_ALL)

$(BUILD)/mpi/%.o: mpi/%.c $(wildcard include/*.h src/*/*.h cli/*.h) Makefile
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  MPICC $<")
	$(Q)$(MPICC) $(CFLAGS_ALL) -Icli -c $< -o $@

$(BUILD)/locus-mpi: $(BUILD)/mpi/locus_mpi.o $(MPI_CLI_OBJ) $(BUILD)/liblocus.a
	@$(if $(V),,echo "  LD    $@")
	$(Q)$(MPICC) -o $@ $(BUILD)/mpi/locus_mpi.o $(MPI_CLI_OBJ) $(BUILD)/liblocus.a $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/liblocus.a
	$(Q)$(CC) -o $@ $< $(BUILD)/liblocus.a $(LDLIBS_ALL)

# `make test` and `make demo` each install what a fresh Debian 12 machine
# lacks first (nothing when it is all there), so either works on its own.
test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash tests/run.sh

# The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer;
# any report fails the run.
test-sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build-san OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" all
	@BUILD=build-san ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 bash tests/run.sh

# The library and the locate stage tests built for baseline x86-64 (no
# AVX): the vector code must build and give the same results where the
# intrinsics paths are compiled out.
PORTABLE_TESTS = locate/test_preprocess locate/test_maxima locate/test_noise locate/test_refine
test-portable: deps
	@$(MAKE) --no-print-directory BUILD=build-x86-64 ARCH=-march=x86-64 \
	  $(PORTABLE_TESTS:%=build-x86-64/tests/%)
	@for t in $(PORTABLE_TESTS); do build-x86-64/tests/$$t >build-x86-64/$$(basename $$t).tap || \
	  { grep '^not ok' build-x86-64/$$(basename $$t).tap; echo "test-portable: $$t failed"; exit 1; }; \
	  echo "test-portable: $$t: $$(grep -c '^ok' build-x86-64/$$(basename $$t).tap) passed"; done

deps:
	@bash scripts/install-deps.sh --python

demo: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh

bench: all
	@bash bench/run.sh

# Coverage-guided fuzzing of the image readers (clang + libFuzzer), 60 s
# per harness; fuzz/README.md has the details and longer runs.
fuzz:
	@bash scripts/install-deps.sh --fuzz
	@bash fuzz/build.sh run 60

# The Python module (python/): installs the Debian packages it needs when
# missing, then builds $(BUILD)/python/locus, importable with
# PYTHONPATH=$(BUILD)/python /usr/bin/python3 (Debian's, with NumPy).
PYTHON ?= /usr/bin/python3
python:
	@bash scripts/install-deps.sh --python
	@$(MAKE) --no-print-directory $(BUILD)/liblocus.a
	@$(MAKE) --no-print-directory -f python/build.mk BUILD=$(BUILD) PYTHON=$(PYTHON) CC="$(CC)" \
	  OPT="$(OPT)" ARCH="$(ARCH)" WARN="$(WARN)" SAN="$(SAN)" LIBS="$(PKG_LIBS) -lm"

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) include/*.h src/*/*.h $(wildcard cli/*.h tests/*.h tests/*/*.h bench/*.c mpi/*.c fuzz/*.c fuzz/*.h python/*.c)

clean:
	rm -rf build build-san build-x86-64
