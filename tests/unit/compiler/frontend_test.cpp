//===- frontend_test.cpp - The shared front end's nesting pre-scan and reader ===//

#include "compiler/dialect/TideFrontEnd.h"

#include <gtest/gtest.h>

#include <string>

using mlir::tide::findExcessiveNesting;

namespace {

TEST(NestingScanTest, CountsEveryBracketKind) {
  EXPECT_EQ(findExcessiveNesting("([{<>}])", 4), std::nullopt);
  EXPECT_EQ(findExcessiveNesting("([{<>}])", 3), 3u); // The '<' is the fourth level.
  EXPECT_EQ(findExcessiveNesting(std::string(300, '[') + std::string(300, ']'), 256), 256u);
  EXPECT_EQ(findExcessiveNesting(std::string(256, '[') + std::string(256, ']'), 256), std::nullopt);
}

TEST(NestingScanTest, ClosedBracketsFreeTheirLevel) {
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += "(tensor<4xf32>) ";
  EXPECT_EQ(findExcessiveNesting(text, 2), std::nullopt);
}

TEST(NestingScanTest, IgnoresStringsAndComments) {
  EXPECT_EQ(findExcessiveNesting("\"((((((\" // [[[[[[\n()", 1), std::nullopt);
  EXPECT_EQ(findExcessiveNesting("\"\\\"(((\" (", 1), std::nullopt); // An escaped quote.
  EXPECT_EQ(findExcessiveNesting("// ((\n((", 1), 7u);
}

TEST(NestingScanTest, ArrowsAndComparisonsCloseNothing) {
  // `->` must not close the '<': the second '<' is then the second level.
  EXPECT_EQ(findExcessiveNesting("<a -> <", 1), 6u);
  EXPECT_EQ(findExcessiveNesting("<a> <", 1), std::nullopt);
  // `>` closes only an open '<', so `>=` inside parentheses leaves them open.
  EXPECT_EQ(findExcessiveNesting("((d0 >= 0) (", 2), std::nullopt);
  EXPECT_EQ(findExcessiveNesting("(d0 >= 0 ((", 2), 10u);
}

TEST(ReadInputFileTest, RejectsDirectoriesDevicesAndMissingFiles) {
  std::string error;
  EXPECT_EQ(mlir::tide::readInputFile("/", &error), nullptr);
  EXPECT_EQ(error, "cannot open input file: it is a directory");
  EXPECT_EQ(mlir::tide::readInputFile("/dev/zero", &error), nullptr);
  EXPECT_NE(error.find("not a regular file or a pipe"), std::string::npos);
  EXPECT_EQ(mlir::tide::readInputFile("/nonexistent/model.mlir", &error), nullptr);
  EXPECT_NE(error.find("No such file"), std::string::npos);
}

TEST(ReadInputFileTest, EnforcesTheSizeLimit) {
  std::string error;
  // A regular file of known size: this test's own source.
  std::string self = TIDEMARK_SOURCE_DIR "/tests/unit/compiler/frontend_test.cpp";
  EXPECT_NE(mlir::tide::readInputFile(self, &error), nullptr) << error;
  EXPECT_EQ(mlir::tide::readInputFile(self, &error, /*maxBytes=*/10), nullptr);
  EXPECT_NE(error.find("more than the limit of 10"), std::string::npos);
}

} // namespace
