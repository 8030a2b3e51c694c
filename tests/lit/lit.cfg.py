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
