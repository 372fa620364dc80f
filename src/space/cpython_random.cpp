#include "natsbench/space/cpython_random.h"

#include <algorithm>
#include <stdexcept>

#include "natsbench/util/error.h"

namespace natsbench {

namespace {
int bit_length(std::uint32_t n) {
  int bits = 0;
  while (n != 0) {
    ++bits;
    n >>= 1;
  }
  return bits;
}
}  // namespace

CPythonRandom::CPythonRandom(std::uint64_t seed) {
  // CPython seeds with the little-endian 32-bit limbs of |seed|; 0 gives the key [0].
  std::vector<std::uint32_t> key;
  do {
    key.push_back(static_cast<std::uint32_t>(seed & 0xffffffffu));
    seed >>= 32;
  } while (seed != 0);

  init_genrand(19650218u);
  int i = 1;
  std::size_t j = 0;
  const std::size_t key_length = key.size();
  for (std::size_t k = std::max<std::size_t>(kStateSize, key_length); k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] +
             static_cast<std::uint32_t>(j);
    ++i;
    ++j;
    if (i >= kStateSize) {
      mt_[0] = mt_[kStateSize - 1];
      i = 1;
    }
    if (j >= key_length) j = 0;
  }
  for (int k = kStateSize - 1; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) -
             static_cast<std::uint32_t>(i);
    ++i;
    if (i >= kStateSize) {
      mt_[0] = mt_[kStateSize - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000u;
  index_ = kStateSize;
}

void CPythonRandom::init_genrand(std::uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kStateSize; ++i) {
    mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
  }
  index_ = kStateSize;
}

void CPythonRandom::regenerate() {
  constexpr std::uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
  for (int k = 0; k < kStateSize; ++k) {
    const std::uint32_t y = (mt_[k] & kUpper) | (mt_[(k + 1) % kStateSize] & kLower);
    mt_[k] = mt_[(k + 397) % kStateSize] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
  }
  index_ = 0;
}

std::uint32_t CPythonRandom::next_uint32() {
  if (index_ >= kStateSize) regenerate();
  std::uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  ++drawn_;
  return y;
}

std::uint32_t CPythonRandom::getrandbits(int k) {
  if (k < 1 || k > 32) throw Error("getrandbits: k must be in 1..32");
  return next_uint32() >> (32 - k);
}

std::uint32_t CPythonRandom::randbelow(std::uint32_t n) {
  if (n == 0) throw Error("randbelow: n must be positive");
  const int k = bit_length(n);  // of n itself, as CPython does
  std::uint32_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

std::vector<std::uint64_t> CPythonRandom::state() const {
  std::vector<std::uint64_t> out(mt_.begin(), mt_.end());
  out.push_back(static_cast<std::uint64_t>(index_));
  out.push_back(drawn_);
  return out;
}

void CPythonRandom::set_state(const std::vector<std::uint64_t>& state) {
  if (state.size() != kStateSize + 2 || state[kStateSize] > kStateSize) {
    throw Error("Python random state: expected 624 words, a position and a count");
  }
  for (int i = 0; i < kStateSize; ++i) {
    if (state[i] > 0xffffffffu) throw Error("Python random state: a word beyond 32 bits");
    mt_[i] = static_cast<std::uint32_t>(state[i]);
  }
  index_ = static_cast<int>(state[kStateSize]);
  drawn_ = state[kStateSize + 1];
}

}  // namespace natsbench
