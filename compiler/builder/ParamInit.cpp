//===- ParamInit.cpp - Seeded initial values of model parameters ----------===//
//
// Normal(0, std) values come from a std::mt19937_64 (its output sequence is fixed by the C++
// standard) seeded with splitmix64(seed ^ fnv1a64(name)), turned into normals by the Box-Muller
// transform (both values of each pair used, in order). std::normal_distribution is not used
// because its algorithm differs between standard libraries. O(elements) per parameter.
//
//===----------------------------------------------------------------------===//

#include "tidemark/builder.h"

#include <cmath>
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

void fillNormal(std::vector<float> &values, double std, uint64_t streamSeed) {
  std::mt19937_64 generator(streamSeed);
  const double twoPi = 6.283185307179586476925286766559;
  for (size_t i = 0; i < values.size(); i += 2) {
    double u1 = 1.0 - uniform01(generator); // (0, 1]: log(u1) is finite.
    double u2 = uniform01(generator);
    double radius = std::sqrt(-2.0 * std::log(u1));
    values[i] = static_cast<float>(std * radius * std::cos(twoPi * u2));
    if (i + 1 < values.size())
      values[i + 1] = static_cast<float>(std * radius * std::sin(twoPi * u2));
  }
}

} // namespace

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
    fillNormal(values, parameter.init.std, splitmix64(seed ^ fnv1a64(parameter.name)));
    break;
  }
  return values;
}

} // namespace tidemark::builder
