//===- Report.h - tidec's plan report (text and JSON) -------------*- C++ -*-===//
//
// Formats a CompileResult as the human-readable text report or the JSON report whose fields
// docs/tidec.md documents one by one.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_TOOLS_TIDEC_REPORT_H
#define TIDEMARK_TOOLS_TIDEC_REPORT_H

#include "Pipeline.h"

#include <optional>
#include <string>

namespace tidec {

/// What the report says about the compilation besides the plan itself.
struct ReportContext {
  std::string input;  ///< Model file (or the model command for --max-batch).
  std::string output; ///< Written file, or "" when nothing was written.
  std::string train;  ///< "", "sgd", "adam".
  std::optional<int64_t> maxBatch;
};

/// The number of buffers listed as live at the peak.
constexpr size_t kReportedPeakBuffers = 10;

std::string formatTextReport(const CompileResult &result, const ReportContext &context);
std::string formatJsonReport(const CompileResult &result, const ReportContext &context);

} // namespace tidec

#endif // TIDEMARK_TOOLS_TIDEC_REPORT_H
