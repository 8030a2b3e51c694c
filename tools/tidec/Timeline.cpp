//===- Timeline.cpp - The arena as an SVG picture -------------------------===//
//
// Layout: a fixed 1200 x 720 canvas, plot area with margins for the axes and a legend row on
// top. Tick spacing is a 1/2/5 x 10^k step so that about eight labels fit each axis.
//
//===----------------------------------------------------------------------===//

#include "Timeline.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace tidec {
namespace {

constexpr double kWidth = 1200, kHeight = 720;
constexpr double kLeft = 90, kRight = 30, kTop = 80, kBottom = 60;
constexpr double kPlotWidth = kWidth - kLeft - kRight, kPlotHeight = kHeight - kTop - kBottom;

const char *colourOf(mlir::tide::BufferKind kind) {
  switch (kind) {
  case mlir::tide::BufferKind::Kept:
    return "#4e79a7";
  case mlir::tide::BufferKind::Recomputed:
    return "#f28e2b";
  case mlir::tide::BufferKind::Gradient:
    return "#e15759";
  case mlir::tide::BufferKind::Temporary:
    return "#9c9c9c";
  }
  return "#9c9c9c";
}

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

/// A "nice" tick spacing (1, 2 or 5 times a power of ten) giving about `count` ticks.
double tickSpacing(double range, int count) {
  double raw = range / count;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0, 10.0})
    if (factor * power >= raw)
      return factor * power;
  return 10.0 * power;
}

void drawAxes(llvm::raw_ostream &os, double steps, double mebibytes) {
  os << llvm::format("<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#fbfbfb' "
                     "stroke='#333'/>\n",
                     kLeft, kTop, kPlotWidth, kPlotHeight);
  double stepTick = std::max(1.0, tickSpacing(steps, 10));
  for (double s = 0; s <= steps; s += stepTick) {
    double x = kLeft + s / steps * kPlotWidth;
    os << llvm::format("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#333'/>"
                       "<text x='%.1f' y='%.1f' text-anchor='middle'>%.0f</text>\n",
                       x, kTop + kPlotHeight, x, kTop + kPlotHeight + 5, x, kTop + kPlotHeight + 20,
                       s);
  }
  double mibTick = tickSpacing(mebibytes, 8);
  for (double m = 0; m <= mebibytes + 1e-9; m += mibTick) {
    double y = kTop + kPlotHeight - m / mebibytes * kPlotHeight;
    os << llvm::format("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#333'/>"
                       "<text x='%.1f' y='%.1f' text-anchor='end'>%g</text>\n",
                       kLeft - 5, y, kLeft, y, kLeft - 8, y + 4, m);
  }
  os << llvm::format("<text x='%.1f' y='%.1f' text-anchor='middle'>step (op index in the "
                     "schedule)</text>\n",
                     kLeft + kPlotWidth / 2, kHeight - 15);
  os << llvm::format("<text transform='translate(22 %.1f) rotate(-90)' text-anchor='middle'>"
                     "arena offset (MiB)</text>\n",
                     kTop + kPlotHeight / 2);
}

void drawLegend(llvm::raw_ostream &os) {
  using mlir::tide::BufferKind;
  const std::pair<BufferKind, const char *> entries[] = {
      {BufferKind::Kept, "activation kept for the backward pass"},
      {BufferKind::Recomputed, "recomputed"},
      {BufferKind::Gradient, "gradient / backward"},
      {BufferKind::Temporary, "temporary"}};
  double x = kLeft;
  for (const auto &[kind, label] : entries) {
    os << llvm::format("<rect x='%.1f' y='48' width='14' height='14' fill='%s'/>"
                       "<text x='%.1f' y='60'>%s</text>\n",
                       x, colourOf(kind), x + 20, label);
    x += 40 + 7.2 * std::string(label).size();
  }
}

} // namespace

std::string renderTimelineSvg(const mlir::tide::PlanSummary &s, const std::string &title) {
  std::string text;
  llvm::raw_string_ostream os(text);
  double steps = std::max<double>(1, static_cast<double>(s.numBlockSteps));
  double arena = std::max<double>(1, static_cast<double>(s.arenaBytes));
  double mebibytes = arena / (1024.0 * 1024.0);
  os << llvm::format("<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
                     "viewBox='0 0 %.0f %.0f' font-family='sans-serif' font-size='12'>\n",
                     kWidth, kHeight, kWidth, kHeight);
  os << "<rect width='100%' height='100%' fill='white'/>\n";
  os << llvm::format("<text x='%.1f' y='24' font-size='16' font-weight='bold'>", kLeft)
     << escape(title) << "</text>\n";
  drawLegend(os);
  drawAxes(os, steps, mebibytes);
  for (const mlir::tide::PlanBuffer &b : s.buffers) {
    double x = kLeft + b.firstStep / steps * kPlotWidth;
    double w = std::max(0.5, (b.lastStep + 1 - b.firstStep) / steps * kPlotWidth);
    double h = std::max(0.5, b.bytes / arena * kPlotHeight);
    double y = kTop + kPlotHeight - (b.offset + b.bytes) / arena * kPlotHeight;
    os << llvm::format("<rect x='%.2f' y='%.2f' width='%.2f' height='%.2f' fill='%s' "
                       "fill-opacity='0.85' stroke='white' stroke-width='0.3'>",
                       x, y, w, h, colourOf(b.kind))
       << "<title>" << escape(b.name) << " (" << escape(b.opName) << "): " << b.bytes
       << " bytes at " << b.offset << ", steps " << b.firstStep << "-" << b.lastStep
       << "</title></rect>\n";
  }
  if (s.lossStep >= 0) {
    double x = kLeft + (s.lossStep + 1) / steps * kPlotWidth;
    os << llvm::format("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#555' "
                       "stroke-dasharray='2 3'/><text x='%.1f' y='%.1f' fill='#555' "
                       "text-anchor='end'>forward | backward</text>\n",
                       x, kTop, x, kTop + kPlotHeight, x + 48, kTop - 6);
  }
  if (s.peakStep >= 0) {
    double x = kLeft + (s.peakStep + 0.5) / steps * kPlotWidth;
    os << llvm::format("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='black' "
                       "stroke-width='1.5' stroke-dasharray='6 3'/>"
                       "<text x='%.1f' y='%.1f' font-weight='bold' stroke='white' stroke-width='3' "
                       "paint-order='stroke'>peak: step %lld, %.2f MiB "
                       "live</text>\n",
                       x, kTop, x, kTop + kPlotHeight, x + 4, kTop + 14,
                       static_cast<long long>(s.peakStep), s.loadBytes / (1024.0 * 1024.0));
  }
  os << "</svg>\n";
  return text;
}

} // namespace tidec
