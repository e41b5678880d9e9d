# pagecache-lock: every target calls tools/pcl (see README.md).
#
#   make run [SUITE=glob] [ARGS="kunit.py args"] [KERNEL_TREE=dir]
#            [JUNIT=file.xml] [JSON=file]
#   make test [JUNIT=file.xml]
#   make check [OUT=dir] / make validate MBOX=file|-|msgid [ONTO=series] [OUT=dir]
#              [KCIDB=file] [KCIDB_ORIGIN=name] [PATCHWORK=file]

PCL := python3 tools/pcl

SUITE ?=
ARGS ?=
KERNEL_TREE ?=
JUNIT ?=
JSON ?=
MBOX ?=
ONTO ?=
OUT ?=
KCIDB ?=
KCIDB_ORIGIN ?=
PATCHWORK ?=

tree_opt  = $(if $(KERNEL_TREE),--kernel-tree '$(KERNEL_TREE)')
run_opts  = $(tree_opt) $(if $(SUITE),--suite '$(SUITE)') \
	    $(if $(JUNIT),--junit '$(JUNIT)') $(if $(JSON),--json '$(JSON)')

.PHONY: run run-smp run-debug test unittest e2e bench tree queue-prepare \
	queue-export clean distclean check validate

run:
	$(PCL) run --layer uml $(run_opts) -- $(ARGS)

run-smp:
	$(PCL) run --layer smp $(run_opts) -- $(ARGS)

run-debug:
	$(PCL) run --layer debug $(run_opts) -- $(ARGS)

# Tool tests (mypy --strict among them), the KUnit layers (UML; QEMU SMP
# with the debug configs), the end-to-end layer and the validate layer; one
# closing count.
test:
	$(PCL) test $(tree_opt) $(if $(JUNIT),--junit '$(JUNIT)')

unittest:
	$(PCL) unittest

# The benchmark module (bench/) on UML and QEMU SMP, then O_DIRECT write
# throughput on ext2 in UML, stock against the series, then the fault
# schemes of a direct write (pin, marker, nofault-and-retry; UML and QEMU
# SMP): tables of figures and ratios, and the same as JSON in
# build/bench/bench.json (not a test). ARGS="--machines uml", "--no-dio",
# "--fault-machines uml", "--no-faults", "--json FILE".
bench:
	$(PCL) bench $(tree_opt) $(ARGS)

# End-to-end programs in UML userspace; ARGS="--smp", "--stock", "--all",
# "--only coherency,truncate" ...
e2e:
	$(PCL) e2e $(tree_opt) $(if $(JUNIT),--junit '$(JUNIT)') $(ARGS)

# Pre-submit check of patches/ (checkpatch, git am, kernel-doc, the Fixes:
# tags, the subject and a build at every patch, KUnit at the tip with a
# delta against the base, get_maintainer),
# and the same for a posted series read from an mbox (MBOX=- for stdin,
# MBOX=<Message-Id or lore URL> fetches it with b4 am; ONTO=series applies
# it onto base + this project's series). The report goes to OUT (default
# build/reports/check or build/reports/validate). KCIDB=file also writes
# the KCIDB submission (I/O schema v5.3; ids prefixed by KCIDB_ORIGIN,
# default pagecache_lock), PATCHWORK=file the patchwork checks.
check_opts = $(if $(OUT),-o '$(OUT)') $(if $(SUITE),--suite '$(SUITE)') \
	     $(if $(JUNIT),--junit '$(JUNIT)') $(if $(JSON),--json '$(JSON)') \
	     $(if $(KCIDB),--kcidb '$(KCIDB)') \
	     $(if $(KCIDB_ORIGIN),--kcidb-origin '$(KCIDB_ORIGIN)') \
	     $(if $(PATCHWORK),--patchwork '$(PATCHWORK)')

check:
	$(PCL) check $(check_opts) -- $(ARGS)

validate:
	$(if $(MBOX),,$(error give the series: make validate MBOX=series.mbox))
	$(PCL) validate '$(MBOX)' $(if $(filter series,$(ONTO)),--onto-series) \
		$(check_opts) -- $(ARGS)

tree:
	$(PCL) tree $(tree_opt)

queue-prepare:
	$(PCL) queue prepare $(KERNEL_TREE)

queue-export:
	$(PCL) queue export $(KERNEL_TREE)

clean:
	$(PCL) clean

distclean:
	$(PCL) clean --all
