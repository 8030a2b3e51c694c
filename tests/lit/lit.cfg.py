# lit configuration for Tidemark: runs every .mlir/.test file under tests/lit with the build's
# tools (tide-opt, tide-pack, ...) and LLVM 19's FileCheck/not/count on PATH.
import os
import lit.formats

config.name = "Tidemark"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.tidemark_lit_obj_root

tool_dirs = [config.tidemark_tools_dir, config.llvm_tools_dir]
for sub in ("tide-pack", "tidec", "tide-run", "tide-models"):
    tool_dirs.append(os.path.join(config.tidemark_build_tools_dir, sub))
path = os.pathsep.join(tool_dirs + [config.environment.get("PATH", os.environ.get("PATH", ""))])
config.environment["PATH"] = path
config.substitutions.append(("%examples", os.path.join(config.tidemark_source_dir, "examples")))
config.substitutions.append(("%testdata", os.path.join(config.tidemark_source_dir, "tests", "data")))
# Tests that cannot run under a sanitizer say `UNSUPPORTED: asan` (the reason next to it).
if "address" in config.tidemark_sanitizers:
    config.available_features.add("asan")


# `refuses-huge-allocation`: the kernel refuses one 1 TiB allocation outright instead of
# overcommitting it (overcommit mode 0 or 2 on a machine with less than 1 TiB of RAM + swap), so
# a test may exercise an out-of-memory path without touching that memory.
def _refuses_huge_allocation():
    try:
        with open("/proc/sys/vm/overcommit_memory") as f:
            mode = f.read().strip()
        total_kib = 0
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("MemTotal", "SwapTotal"):
                    total_kib += int(value.split()[0])
    except (OSError, ValueError):
        return False
    return mode in ("0", "2") and total_kib * 1024 < (1 << 40)


if _refuses_huge_allocation():
    config.available_features.add("refuses-huge-allocation")

# The ONNX importer's tests (tests/lit/onnx) build their models with /usr/bin/python3, which sees
# Debian's python3-onnx and python3-torch; they need tide-import-onnx (built when ONNX is found).
import subprocess
import sys
system_python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
config.substitutions.append(("%python", system_python))
if os.path.exists(os.path.join(config.tidemark_tools_dir, "tide-import-onnx")):
    config.available_features.add("onnx-importer")
for module in ("onnx", "torch"):
    if subprocess.run([system_python, "-c", "import " + module],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
        config.available_features.add("python-" + module)
