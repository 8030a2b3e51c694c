//===- Timeline.h - The arena as an SVG picture -------------------*- C++ -*-===//
//
// Draws every arena buffer as a rectangle in (step, offset) space: x = its live steps, y = its
// bytes in the arena. Colours by kind (kept activation, recomputed, gradient, temporary), the
// peak step and the forward/backward boundary marked, axes in steps and MiB, and a legend.
// O(buffers) output; one <rect> with a tooltip per buffer.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_TOOLS_TIDEC_TIMELINE_H
#define TIDEMARK_TOOLS_TIDEC_TIMELINE_H

#include "compiler/planwriter/PlanWriter.h"

#include <string>

namespace tidec {

/// The SVG document for `summary` with `title` on top.
std::string renderTimelineSvg(const mlir::tide::PlanSummary &summary, const std::string &title);

} // namespace tidec

#endif // TIDEMARK_TOOLS_TIDEC_TIMELINE_H
