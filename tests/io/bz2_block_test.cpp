// The fast bzip2 block decoder: equal to libbz2 on what the encoder writes, and declines (never
// crashes, never returns wrong bytes) on anything else.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "../../src/io/bz2_block.h"
#include "natsbench/io/bz2.h"
#include "natsbench/util/error.h"

using namespace natsbench;

namespace {

constexpr std::uint64_t kBlockMagic = 0x314159265359ULL;
constexpr std::uint64_t kEndMagic = 0x177245385090ULL;

// n bits of `s` from bit `bit` on, most significant first.
std::uint64_t bits(const std::string& s, std::uint64_t bit, int n) {
  std::uint64_t v = 0;
  for (std::uint64_t b = bit; b < bit + static_cast<std::uint64_t>(n); ++b) {
    v = (v << 1) | ((static_cast<unsigned char>(s[b / 8]) >> (7 - b % 8)) & 1u);
  }
  return v;
}

struct BlockBits {
  std::uint64_t begin, end;
  std::uint32_t crc;
};

// The blocks of a one-stream file, found by their magics (the test inputs contain no
// magic-like pattern elsewhere: decoding every block and comparing proves it).
std::vector<BlockBits> find_blocks(const std::string& packed) {
  std::vector<std::uint64_t> starts;
  std::uint64_t end_magic = 0;
  for (std::uint64_t bit = 32; bit + 80 <= packed.size() * 8; ++bit) {
    const std::uint64_t v = bits(packed, bit, 48);
    if (v == kBlockMagic) starts.push_back(bit);
    if (v == kEndMagic) end_magic = bit;
  }
  std::vector<BlockBits> blocks;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::uint64_t end = i + 1 < starts.size() ? starts[i + 1] : end_magic;
    blocks.push_back(
        {starts[i], end, static_cast<std::uint32_t>(bits(packed, starts[i] + 48, 32))});
  }
  return blocks;
}

std::string decode_all_fast(const std::string& packed, bool& all_fast) {
  bz2::detail::BlockScratch scratch;
  std::string whole, out;
  all_fast = true;
  const auto* d = reinterpret_cast<const unsigned char*>(packed.data());
  for (const BlockBits& b : find_blocks(packed)) {
    if (!bz2::detail::decode_block_fast(d, packed.size(), b.begin, b.end, packed[3], b.crc, out,
                                        scratch)) {
      all_fast = false;
      return whole;
    }
    whole += out;
  }
  return whole;
}

std::string pseudo_random(std::size_t n, std::uint64_t seed, unsigned alphabet) {
  std::string s(n, '\0');
  for (auto& c : s) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    c = static_cast<char>((seed >> 33) % alphabet);
  }
  return s;
}

}  // namespace

TEST_CASE("bzip2 block CRC is CRC-32/BZIP2", "[bz2]") {
  const std::string check = "123456789";
  CHECK(bz2::detail::block_crc(reinterpret_cast<const std::uint8_t*>(check.data()), 9) ==
        0xFC891918u);
  CHECK(bz2::detail::block_crc(nullptr, 0) == 0u);
}

TEST_CASE("fast block decoder equals libbz2 on encoder output", "[bz2]") {
  std::vector<std::pair<std::string, std::string>> inputs;
  inputs.emplace_back("one byte", "x");
  inputs.emplace_back("every byte value", pseudo_random(300000, 1, 256));
  inputs.emplace_back("small alphabet", pseudo_random(250000, 2, 3));
  inputs.emplace_back("zeros", std::string(1200000, '\0'));
  std::string runs;  // runs of every length around the 4-byte run-length threshold and 255 cap
  for (int len = 1; len < 600; ++len)
    runs += std::string(static_cast<std::size_t>(len), "ab"[len % 2]);
  inputs.emplace_back("runs", runs);
  inputs.emplace_back("ends in a 4-run", pseudo_random(1000, 3, 256) + "zzzz");
  inputs.emplace_back("ends in a 259-run", pseudo_random(1000, 4, 256) + std::string(259, 'q'));
  std::string text;
  while (text.size() < 2500000)
    text +=
        "{'train-loss': 1.25, 'valid-accuracy': 87.5, " + std::to_string(text.size() % 977) + "}";
  inputs.emplace_back("repetitive text", text);
  for (int level : {1, 9}) {
    for (const auto& [name, data] : inputs) {
      INFO(name << ", level " << level);
      const std::string packed = bz2::compress(data, level);
      bool all_fast = false;
      const std::string out = decode_all_fast(packed, all_fast);
      CHECK(all_fast);
      CHECK(out == data);
    }
  }
}

TEST_CASE("fast block decoder declines damaged blocks and never returns wrong bytes", "[bz2]") {
  const std::string data = pseudo_random(60000, 5, 40);
  const std::string packed = bz2::compress(data, 1);
  const std::vector<BlockBits> blocks = find_blocks(packed);
  REQUIRE(blocks.size() == 1);
  const BlockBits b = blocks[0];
  bz2::detail::BlockScratch scratch;
  std::string out;
  const auto* d = reinterpret_cast<const unsigned char*>(packed.data());
  // The block's end must be exactly where its bits end.
  CHECK_FALSE(bz2::detail::decode_block_fast(d, packed.size(), b.begin, b.end - 1, '1', b.crc, out,
                                             scratch));
  CHECK_FALSE(bz2::detail::decode_block_fast(d, packed.size(), b.begin, b.end + 1, '1', b.crc, out,
                                             scratch));
  CHECK_FALSE(bz2::detail::decode_block_fast(d, packed.size(), b.begin, b.end, '1', b.crc ^ 1, out,
                                             scratch));
  // A block of a level-9 stream cannot be decoded as level 1 if it is longer than 100k.
  const std::string big = bz2::compress(pseudo_random(400000, 6, 256), 9);
  const BlockBits bb = find_blocks(big)[0];
  CHECK_FALSE(bz2::detail::decode_block_fast(reinterpret_cast<const unsigned char*>(big.data()),
                                             big.size(), bb.begin, bb.end, '1', bb.crc, out,
                                             scratch));
  // Every single-bit flip after the CRC field: declined, or (when the flip hit bits that do not
  // change the decoded block) exactly the original bytes.
  int declined = 0, flips = 0;
  for (std::uint64_t bit = b.begin + 80; bit < b.end; bit += 409) {
    std::string damaged = packed;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (0x80 >> (bit % 8)));
    const bool ok =
        bz2::detail::decode_block_fast(reinterpret_cast<const unsigned char*>(damaged.data()),
                                       damaged.size(), b.begin, b.end, '1', b.crc, out, scratch);
    ++flips;
    if (!ok) {
      ++declined;
      // libbz2 then has the last word: an error, or the original bytes (e.g. a flip in the code
      // length of a symbol the block never uses).
      bool rejected = false;
      std::string reference;
      try {
        reference = bz2::decompress(damaged, 1);
      } catch (const Error&) {
        rejected = true;
      }
      CHECK((rejected || reference == data));
    } else {
      CHECK(out == data);
    }
  }
  CHECK(declined > flips * 9 / 10);
}
