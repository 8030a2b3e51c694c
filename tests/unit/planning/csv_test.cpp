// Tests of the MiniMalloc CSV reader and writer, including every malformed-input class.
#include "compiler/planning/MiniMallocCsv.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include <gtest/gtest.h>

namespace tidemark::planning {
namespace {

std::string errorOf(const std::string &text) {
  absl::StatusOr<CsvBufferList> list = parseMiniMallocCsv(text, 1);
  return list.ok() ? "ok" : std::string(list.status().message());
}

TEST(CsvTest, ParsesBothHeadersAndNames) {
  absl::StatusOr<CsvBufferList> list =
      parseMiniMallocCsv("id,lower,upper,size\nb1,0,3,4\n b2 , 3 , 9 , 8 \r\n\n", 64);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->problem.buffers.size(), 2u);
  EXPECT_EQ(list->names, (std::vector<std::string>{"b1", "b2"}));
  EXPECT_EQ(list->problem.buffers[1].start, 3);
  EXPECT_EQ(list->problem.buffers[1].end, 9);
  EXPECT_EQ(list->problem.buffers[1].size, 8);
  EXPECT_EQ(list->problem.buffers[1].id, 1); // names are not numeric: row index
  EXPECT_EQ(list->problem.alignment, 64);

  list = parseMiniMallocCsv("buffer,start,end,size,offset\n7,0,1,5,99\n", 1);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->problem.buffers[0].id, 7); // numeric ids are kept
}

TEST(CsvTest, WritesAnOffsetColumnInInputOrder) {
  absl::StatusOr<CsvBufferList> list =
      parseMiniMallocCsv("id,lower,upper,size\nx,0,3,4\ny,1,2,4\n", 1);
  ASSERT_TRUE(list.ok());
  Solution solution{{4, 0}, 8, false};
  EXPECT_EQ(formatMiniMallocCsv(*list, solution),
            "id,lower,upper,size,offset\nx,0,3,4,4\ny,1,2,4,0\n");
}

TEST(CsvTest, ReportsEachMalformedInputWithItsLine) {
  EXPECT_NE(errorOf("").find("the input is empty"), std::string::npos);
  EXPECT_NE(errorOf("\n\n").find("the input is empty"), std::string::npos);
  EXPECT_NE(errorOf("0,0,3,4\n").find("line 1: expected the header"), std::string::npos);
  EXPECT_EQ(errorOf("id,lower,upper,size\n1,0,3\n"), "line 2: expected 4 columns, got 3");
  EXPECT_EQ(errorOf("id,lower,upper,size\n1,0,3,4,5\n"), "line 2: expected 4 columns, got 5");
  EXPECT_EQ(errorOf("id,lower,upper,size\n1,0,x3,4\n"), "line 2: upper 'x3' is not an integer");
  EXPECT_EQ(errorOf("id,lower,upper,size\n1,0,3,4.5\n"), "line 2: size '4.5' is not an integer");
  EXPECT_EQ(errorOf("id,lower,upper,size\n1,0,3,-4\n"), "line 2: size -4 is negative");
  EXPECT_EQ(errorOf("id,lower,upper,size\n1,5,5,4\n"),
            "line 2: lower 5 must be less than upper 5 (intervals are half-open [lower, upper))");
  EXPECT_EQ(errorOf("id,lower,upper,size\n1,0,3,4\n\n1,2,3,4\n"), "line 4: duplicate id '1'");
  EXPECT_EQ(errorOf("id,lower,upper,size\n,0,3,4\n"), "line 2: empty id");
}

TEST(CsvTest, AtomicWriteReplacesTheFileAndReportsErrors) {
  std::string path = testing::TempDir() + "/csv_test_out.csv";
  ASSERT_TRUE(writeFileAtomically(path, "first\n").ok());
  ASSERT_TRUE(writeFileAtomically(path, "second\n").ok());
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str(), "second\n");
  std::remove(path.c_str());
  absl::Status status = writeFileAtomically("/nonexistent-dir/x.csv", "data");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/nonexistent-dir/x.csv"), absl::string_view::npos);
}

TEST(CsvTest, ReadingAMissingFileNamesIt) {
  absl::StatusOr<CsvBufferList> list = readMiniMallocCsv("/nonexistent-dir/in.csv", 1);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(list.status().message().find("/nonexistent-dir/in.csv"), absl::string_view::npos);
}

TEST(CsvTest, OnlyRegularFilesOfBoundedSizeAreRead) {
  std::string directory = testing::TempDir();
  absl::StatusOr<CsvBufferList> list = readMiniMallocCsv(directory, 1);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(list.status().message().find("is a directory, expected a regular file"),
            absl::string_view::npos)
      << list.status();

  // An endless device is refused before a byte is read (it used to be read to the end).
  list = readMiniMallocCsv("/dev/zero", 1);
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("'/dev/zero' is a character device"),
            absl::string_view::npos)
      << list.status();

  std::string fifo = testing::TempDir() + "/csv_test_fifo";
  std::remove(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  absl::StatusOr<std::string> text = readRegularFile(fifo, 1 << 20); // must not block
  std::remove(fifo.c_str());
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("is a pipe"), absl::string_view::npos) << text.status();

  std::string path = testing::TempDir() + "/csv_test_big.csv";
  ASSERT_TRUE(writeFileAtomically(path, "id,lower,upper,size\n1,0,3,4\n").ok());
  text = readRegularFile(path, 10);
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("is 28 bytes, more than the limit of 10"),
            absl::string_view::npos)
      << text.status();
  text = readRegularFile(path, 28);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "id,lower,upper,size\n1,0,3,4\n");
  std::remove(path.c_str());
}

} // namespace
} // namespace tidemark::planning
