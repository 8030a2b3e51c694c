//===- ParamInit.cpp - Seeded initial values of model parameters ----------===//
//
// Normal(0, std) values come from a std::mt19937_64 (its output sequence is fixed by the C++
// standard) seeded with splitmix64(seed ^ fnv1a64(name)), turned into normals by the Box-Muller
// transform (both values of each pair used, in order). std::normal_distribution is not used
// because its algorithm differs between standard libraries. Uniform(low, high) values are
// low + (high - low) * u with u from the top 53 bits of one output of the same generator. The
// `tide.init` attribute text is ParamInit::describe(); ParamInit::parse reads it back (the tide
// dialect's verifier and tidec use the same parser, so the rules live here once). This library
// (tidemark_paraminit) needs no MLIR; the model builder, the dialect and the plan writer link it.
// O(elements) per parameter.
//
//===----------------------------------------------------------------------===//

#include "tidemark/builder.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace tidemark::builder {

namespace {

uint64_t fnv1a64(const std::string &text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// A uniform double in [0, 1) from the top 53 bits of one generator output.
double uniform01(std::mt19937_64 &generator) {
  return static_cast<double>(generator() >> 11) * (1.0 / 9007199254740992.0);
}

void fillNormal(std::vector<float> &values, double mean, double std, uint64_t streamSeed) {
  std::mt19937_64 generator(streamSeed);
  const double twoPi = 6.283185307179586476925286766559;
  // A zero mean is not added, so normal(0, s) stays bit-identical to the values written before
  // the mean existed.
  auto shift = [mean](double x) { return mean == 0.0 ? x : mean + x; };
  for (size_t i = 0; i < values.size(); i += 2) {
    double u1 = 1.0 - uniform01(generator); // (0, 1]: log(u1) is finite.
    double u2 = uniform01(generator);
    double radius = std::sqrt(-2.0 * std::log(u1));
    values[i] = static_cast<float>(shift(std * radius * std::cos(twoPi * u2)));
    if (i + 1 < values.size())
      values[i + 1] = static_cast<float>(shift(std * radius * std::sin(twoPi * u2)));
  }
}

void fillUniform(std::vector<float> &values, double low, double high, uint64_t streamSeed) {
  std::mt19937_64 generator(streamSeed);
  for (float &value : values)
    value = static_cast<float>(low + (high - low) * uniform01(generator));
}

/// Skips spaces at text[*at].
void skipSpaces(const std::string &text, size_t *at) {
  while (*at < text.size() && text[*at] == ' ')
    ++*at;
}

/// Reads a number at text[*at] (after spaces) that ends at ',' / ')' / a space.
bool readNumber(const std::string &text, size_t *at, double *value) {
  skipSpaces(text, at);
  size_t end = text.find_first_of(",) ", *at);
  if (end == std::string::npos || end == *at)
    return false;
  std::string token = text.substr(*at, end - *at);
  char *stop = nullptr;
  errno = 0;
  *value = std::strtod(token.c_str(), &stop);
  if (stop != token.c_str() + token.size() || errno == ERANGE)
    return false;
  *at = end;
  return true;
}

/// Expects `c` at text[*at] (after spaces).
bool expect(const std::string &text, size_t *at, char c) {
  skipSpaces(text, at);
  if (*at >= text.size() || text[*at] != c)
    return false;
  ++*at;
  return true;
}

bool usable(double x) { return std::isfinite(x) && std::fabs(x) <= 1e30; }

/// The shortest decimal that reads back as `value`, always with a '.' or an exponent.
std::string formatFloat(double value) {
  char text[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  std::string result = text;
  if (result.find_first_of(".eEn") == std::string::npos)
    return result + ".0";
  size_t exponent = result.find_first_of("eE");
  if (exponent != std::string::npos && result.find('.') == std::string::npos)
    result.insert(exponent, ".0");
  return result;
}

} // namespace

std::string ParamInit::describe() const {
  switch (kind) {
  case Kind::Zeros:
    return "zeros";
  case Kind::Ones:
    return "ones";
  case Kind::Normal:
    return "normal(" + (mean == 0.0 ? std::string("0") : formatFloat(mean)) + ", " +
           formatFloat(std) + ")";
  case Kind::Uniform:
    return "uniform(" + formatFloat(low) + ", " + formatFloat(high) + ")";
  }
  return "unknown";
}

std::string ParamInit::check() const {
  switch (kind) {
  case Kind::Zeros:
  case Kind::Ones:
    return "";
  case Kind::Normal:
    if (!(std >= 0.0 && std <= 1e30))
      return "normal initialisation needs a finite std >= 0 (at most 1e30), got " +
             std::to_string(std);
    if (!usable(mean))
      return "normal initialisation needs a finite mean of magnitude at most 1e30";
    return "";
  case Kind::Uniform:
    if (!usable(low) || !usable(high))
      return "uniform initialisation needs finite bounds of magnitude at most 1e30";
    if (!(low <= high))
      return "uniform initialisation needs low <= high";
    return "";
  }
  return "unknown initialisation kind";
}

bool ParamInit::parse(const std::string &text, ParamInit *init, std::string *error) {
  const char *const expected =
      "expected \"zeros\", \"ones\", \"normal(MEAN, STD)\" or \"uniform(LOW, HIGH)\"";
  size_t at = 0;
  skipSpaces(text, &at);
  size_t nameEnd = at;
  while (nameEnd < text.size() && text[nameEnd] >= 'a' && text[nameEnd] <= 'z')
    ++nameEnd;
  std::string name = text.substr(at, nameEnd - at);
  at = nameEnd;
  ParamInit result;
  if (name == "zeros" || name == "ones") {
    result.kind = name == "zeros" ? Kind::Zeros : Kind::Ones;
  } else if (name == "normal" || name == "uniform") {
    double first = 0, second = 0;
    if (!expect(text, &at, '(') || !readNumber(text, &at, &first) || !expect(text, &at, ',') ||
        !readNumber(text, &at, &second) || !expect(text, &at, ')')) {
      *error = "malformed initialisation '" + text + "': " + name + " takes two numbers, " +
               (name == "normal" ? "normal(MEAN, STD)" : "uniform(LOW, HIGH)");
      return false;
    }
    result = name == "normal" ? normal(first, second) : uniform(first, second);
  } else {
    *error = "unknown initialisation '" + text + "'; " + expected;
    return false;
  }
  skipSpaces(text, &at);
  if (at != text.size()) {
    *error = "unexpected text after the initialisation in '" + text + "'; " + expected;
    return false;
  }
  if (std::string why = result.check(); !why.empty()) {
    *error = why + " in '" + text + "'";
    return false;
  }
  *init = result;
  return true;
}

std::vector<float> initialValues(const Argument &parameter, uint64_t seed) {
  size_t count = 1;
  for (int64_t dim : parameter.shape)
    count *= static_cast<size_t>(dim);
  std::vector<float> values(count, 0.0f);
  switch (parameter.init.kind) {
  case ParamInit::Kind::Zeros:
    break;
  case ParamInit::Kind::Ones:
    std::fill(values.begin(), values.end(), 1.0f);
    break;
  case ParamInit::Kind::Normal:
    fillNormal(values, parameter.init.mean, parameter.init.std,
               splitmix64(seed ^ fnv1a64(parameter.name)));
    break;
  case ParamInit::Kind::Uniform:
    fillUniform(values, parameter.init.low, parameter.init.high,
                splitmix64(seed ^ fnv1a64(parameter.name)));
    break;
  }
  return values;
}

} // namespace tidemark::builder
