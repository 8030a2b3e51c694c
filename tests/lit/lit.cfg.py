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
