#pragma once
// Bit-exact emulation of the parts of CPython's `random` module that define NATS-Bench orders:
// integer seeding (init_by_array), getrandbits(k <= 32), _randbelow and shuffle.
// std::mt19937 shares only the raw generator; its seeding and distributions differ.
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace natsbench {

class CPythonRandom {
 public:
  // random.seed(seed) for a non-negative integer seed.
  explicit CPythonRandom(std::uint64_t seed);

  // One tempered MT19937 output (= random.getrandbits(32)).
  std::uint32_t next_uint32();
  // random.getrandbits(k) for 1 <= k <= 32.
  std::uint32_t getrandbits(int k);
  // random._randbelow(n) for 1 <= n < 2^32: rejection sampling on bit_length(n) bits.
  std::uint32_t randbelow(std::uint32_t n);

  // random.shuffle(items): Fisher-Yates from the back, swapping i with _randbelow(i + 1).
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i-- > 1;) {
      const auto j = randbelow(static_cast<std::uint32_t>(i + 1));
      std::swap(items[i], items[j]);
    }
  }

  // How many 32-bit outputs have been drawn since seeding.
  std::uint64_t outputs_drawn() const { return drawn_; }

  // The whole state, for checkpoints: the 624 words, the position in them, the draw count.
  std::vector<std::uint64_t> state() const;
  // Throws Error unless `state` is one that state() returned.
  void set_state(const std::vector<std::uint64_t>& state);

 private:
  void init_genrand(std::uint32_t s);
  void regenerate();

  static constexpr int kStateSize = 624;
  std::array<std::uint32_t, kStateSize> mt_{};
  int index_ = kStateSize;
  std::uint64_t drawn_ = 0;
};

}  // namespace natsbench
