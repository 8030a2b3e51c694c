// Test helper for the builder's MLIR text: MLIR's printer names function arguments %arg0,
// %arg1, ... in function order; namedMlir() spells each as %<its builder name> (arguments():
// inputs, then parameters) so that expected text reads like the model. Nothing else changes:
// op results keep MLIR's %0, %1, ... and every type and attribute is compared as printed.
#ifndef TIDEMARK_TESTS_UNIT_BUILDER_BUILDER_TEST_UTIL_H_
#define TIDEMARK_TESTS_UNIT_BUILDER_BUILDER_TEST_UTIL_H_

#include "tidemark/builder.h"

#include <cctype>
#include <string>
#include <vector>

namespace tidemark::builder {

inline std::string namedMlir(const GraphBuilder &b) {
  const std::string text = b.toMlir();
  const std::vector<Argument> arguments = b.arguments();
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    size_t next = text.find("%arg", at);
    if (next == std::string::npos) {
      out.append(text, at, std::string::npos);
      break;
    }
    out.append(text, at, next - at);
    size_t digits = next + 4, end = digits;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end])))
      ++end;
    unsigned char after = end < text.size() ? static_cast<unsigned char>(text[end]) : ' ';
    bool whole = end > digits && !(std::isalnum(after) || after == '_' || after == '.');
    size_t index = whole ? std::stoul(text.substr(digits, end - digits)) : arguments.size();
    if (index < arguments.size()) {
      out += "%" + arguments[index].name;
      at = end;
    } else { // Not an argument reference: keep it as it is.
      out += "%arg";
      at = digits;
    }
  }
  return out;
}

} // namespace tidemark::builder

#endif // TIDEMARK_TESTS_UNIT_BUILDER_BUILDER_TEST_UTIL_H_
