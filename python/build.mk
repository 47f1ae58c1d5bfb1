# The Python module: $(BUILD)/python/locus/ (the package of python/locus
# plus the extension _locus, linked with $(BUILD)/liblocus.a), importable
# with PYTHONPATH=$(BUILD)/python. Run by `make python`, which builds
# liblocus.a first and passes the project's flags:
#   make -f python/build.mk BUILD=build PYTHON=/usr/bin/python3 WARN=... OPT=... ARCH=...
PYTHON ?= /usr/bin/python3
BUILD  ?= build
CC     ?= cc
OPT    ?= -O3
LIBS   ?= -lpng16 -ltiff -ldeflate -lexpat -ljpeg -lm

PY_INC := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
NP_INC := $(shell $(PYTHON) -c 'import numpy; print(numpy.get_include())' 2>/dev/null)
EXT    := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')

ifeq ($(NP_INC),)
$(error $(PYTHON) cannot import numpy: install python3-numpy (bash scripts/install-deps.sh --python))
endif
ifeq ($(wildcard $(PY_INC)/Python.h),)
$(error $(PY_INC)/Python.h not found: install python3-dev (bash scripts/install-deps.sh --python))
endif

OUT     = $(BUILD)/python/locus
MODULE  = $(OUT)/_locus$(EXT)
PY_SRC  = $(wildcard python/locus/*.py)
PY_OUT  = $(PY_SRC:python/locus/%=$(OUT)/%)

# The project's warnings, -Werror included; Python's and NumPy's headers
# are system headers (-isystem), so their own warnings stay theirs.
EXT_CFLAGS = -std=c11 $(OPT) $(ARCH) -g -fPIC -fvisibility=hidden -pthread $(WARN) \
             -Iinclude -isystem $(PY_INC) -isystem $(NP_INC) $(SAN)

all: $(MODULE) $(PY_OUT)

PY_C   = python/_locus.c python/_link.c python/_pictures.c
PY_OBJ = $(PY_C:python/%.c=$(BUILD)/python/%.o)

$(BUILD)/python/%.o: python/%.c python/_methods.h python/_pyhelp.h include/locus.h python/build.mk
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	@$(CC) $(EXT_CFLAGS) -c $< -o $@

# Only PyInit__locus is exported: the library's own symbols stay inside.
$(MODULE): $(PY_OBJ) $(BUILD)/liblocus.a
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	@$(CC) -shared -o $@ $^ $(LIBS) -pthread -Wl,--exclude-libs,ALL $(SAN)

$(OUT)/%.py: python/locus/%.py
	@mkdir -p $(dir $@)
	@cp $< $@

.PHONY: all
