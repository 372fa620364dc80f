#include "bz2_block.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/mman.h>

namespace natsbench::bz2::detail {

namespace {

constexpr std::uint64_t kBlockMagic = 0x314159265359ULL;
constexpr int kMaxCodeLength = 20;  // libbz2 rejects longer codes
constexpr int kMaxGroups = 6;
constexpr int kMaxSelectors = 18002;  // what the encoder can write for a 900k block
constexpr int kGroupSize = 50;        // symbols coded with one table before the next selector
constexpr int kFastBits = 10;         // codes up to this long are decoded by one table look-up
constexpr int kMaxAlphabet = 258;

// Reads bits most significant first from a byte array; past its end it reads zeros.
class BitReader {
 public:
  BitReader(const unsigned char* data, std::size_t size, std::uint64_t bit)
      : data_(data), size_(size), bit_(bit) {}

  // The next n <= 32 bits, without consuming them.
  std::uint32_t peek(int n) const {
    const std::size_t i = static_cast<std::size_t>(bit_ >> 3);
    std::uint64_t w;
    if (i + 8 <= size_) {
      std::memcpy(&w, data_ + i, 8);
      w = __builtin_bswap64(w);
    } else {
      w = 0;
      for (std::size_t k = 0; k < 8; ++k) w = (w << 8) | (i + k < size_ ? data_[i + k] : 0);
    }
    return static_cast<std::uint32_t>((w << (bit_ & 7)) >> (64 - n));
  }
  void skip(int n) { bit_ += static_cast<std::uint64_t>(n); }
  std::uint32_t get(int n) {
    const std::uint32_t v = peek(n);
    skip(n);
    return v;
  }
  std::uint64_t position() const { return bit_; }

 private:
  const unsigned char* data_;
  std::size_t size_;
  std::uint64_t bit_;
};

// Canonical Huffman decoding table of one coding group.
struct HuffmanTable {
  // Codes up to kFastBits long: (symbol << 5) | length at every index the code prefixes;
  // 0 where the code is longer.
  std::array<std::uint16_t, 1u << kFastBits> fast;
  // Longer codes: codes of length L are first_code[L] .. first_code[L] + count[L] - 1 and map
  // to sorted[first_index[L] ...].
  std::array<std::uint32_t, kMaxCodeLength + 1> first_code, count, first_index;
  std::array<std::uint16_t, kMaxAlphabet> sorted;  // symbols by (length, symbol)
  int max_length;

  // False unless the lengths form a complete prefix code (what the encoder always writes).
  bool build(const std::uint8_t* lengths, int alphabet) {
    count.fill(0);
    std::uint32_t kraft = 0;  // in units of 2^-kMaxCodeLength
    max_length = 0;
    for (int s = 0; s < alphabet; ++s) {
      ++count[lengths[s]];
      kraft += 1u << (kMaxCodeLength - lengths[s]);
      max_length = std::max<int>(max_length, lengths[s]);
    }
    if (kraft != (1u << kMaxCodeLength)) return false;
    std::uint32_t code = 0, index = 0;
    for (int len = 1; len <= kMaxCodeLength; ++len) {
      first_code[len] = code;
      first_index[len] = index;
      code = (code + count[len]) << 1;
      index += count[len];
    }
    std::array<std::uint32_t, kMaxCodeLength + 1> next_index = first_index;
    for (int s = 0; s < alphabet; ++s) sorted[next_index[lengths[s]]++] = static_cast<uint16_t>(s);
    fast.fill(0);
    for (int len = 1; len <= std::min(kFastBits, max_length); ++len) {
      for (std::uint32_t k = 0; k < count[len]; ++k) {
        const std::uint32_t c = first_code[len] + k;
        const auto entry = static_cast<std::uint16_t>((sorted[first_index[len] + k] << 5) |
                                                      static_cast<unsigned>(len));
        const std::uint32_t from = c << (kFastBits - len), to = (c + 1) << (kFastBits - len);
        std::fill(fast.begin() + from, fast.begin() + to, entry);
      }
    }
    return true;
  }

  __attribute__((always_inline)) int decode(BitReader& in) const {
    const std::uint32_t entry = fast[in.peek(kFastBits)];
    if (entry != 0) {
      in.skip(static_cast<int>(entry & 31));
      return static_cast<int>(entry >> 5);
    }
    const std::uint32_t bits = in.peek(kMaxCodeLength);
    for (int len = kFastBits + 1; len <= max_length; ++len) {
      const std::uint32_t code = bits >> (kMaxCodeLength - len);
      if (code - first_code[len] < count[len]) {
        in.skip(len);
        return sorted[first_index[len] + code - first_code[len]];
      }
    }
    return -1;  // unreachable for a complete code
  }
};

struct CrcTables {
  std::uint32_t t[8][256];
  CrcTables() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i << 24;
      for (int k = 0; k < 8; ++k) c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
      t[0][i] = c;
    }
    for (int s = 1; s < 8; ++s) {
      for (std::uint32_t i = 0; i < 256; ++i) {
        t[s][i] = (t[s - 1][i] << 8) ^ t[0][t[s - 1][i] >> 24];
      }
    }
  }
};

const CrcTables& crc_tables() {
  static const CrcTables tables;
  return tables;
}

inline std::uint32_t load_be32(const std::uint8_t* p) {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return __builtin_bswap32(w);
}

// Moves list[pos] to the front, shifting list[0 .. pos-1] up by one. Nearly every position is
// below 16, where a 128-bit shift does it without a call to memmove.
inline void move_to_front(std::uint8_t* list, int pos) {
  const std::uint8_t b = list[pos];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (pos < 16) {
    using u128 = unsigned __int128;
    u128 w;
    std::memcpy(&w, list, 16);
    const u128 keep_low = pos == 15 ? ~u128{0} : (u128{1} << (8 * pos + 8)) - 1;
    w = ((w << 8) & keep_low) | (w & ~keep_low) | b;
    std::memcpy(list, &w, 16);
    return;
  }
#endif
  std::memmove(list + 1, list, static_cast<std::size_t>(pos));
  list[0] = b;
}

// Undoes the initial run-length coding (4 equal bytes are followed by a count of 0..255 more)
// of `text` into `out`. False when the block ends right after 4 equal bytes. The output is
// measured first so that `out` is exactly as large as the block (it is held in the decoders'
// look-ahead, part of the peak memory of a benchmark load).
bool undo_runs(const std::uint8_t* text, std::size_t n, std::string& out) {
  std::size_t size = 0;
  for (std::size_t i = 0; i < n;) {
    const std::uint8_t b = text[i];
    if (i + 3 < n && text[i + 1] == b && text[i + 2] == b && text[i + 3] == b) {
      if (i + 4 >= n) return false;
      size += 4u + text[i + 4];
      i += 5;
    } else {
      ++size;
      ++i;
    }
  }
  out.resize(size);
  auto* w = reinterpret_cast<std::uint8_t*>(out.data());
  for (std::size_t i = 0; i < n;) {
    const std::uint8_t b = text[i];
    if (i + 3 < n && text[i + 1] == b && text[i + 2] == b && text[i + 3] == b) {
      const std::size_t run = 4u + text[i + 4];
      std::memset(w, b, run);
      w += run;
      i += 5;
    } else {
      *w++ = b;
      ++i;
    }
  }
  return true;
}

// Inverse BWT of `block` (n bytes, the rotation at row `origin` being the text) into `text`.
//
// Row j of the sorted rotations starts with byte F[j], known from the byte counts, and
// next[j] = (row of the rotation one byte later) << 8 | F[j], so walking `next` from the origin
// spells the text. That walk is one long chain of dependent reads at random places of a
// multi-megabyte array, and each read waits for memory. So the walk starts at several rows at
// once (the origin plus evenly spaced rows): every chain spells a stretch of the text until it
// reaches the start of another, the reads of different chains overlap, and the stretches are
// put in order at the end. A flag bit in the entries that lead to a start row tells a chain
// where to stop. Returns false unless the chains cover the block exactly once (in a corrupt
// block `next` can be more than one cycle).
//
// Memory is reused to keep a decoder thread's scratch small: once next[] is built, `block` is
// dead and becomes the chains' chunk pool (the caller sizes it for that), and once the chains
// are walked, next[] is dead and receives the text (returned through `text`).
bool inverse_bwt(std::uint8_t* block, std::uint32_t n, std::uint32_t origin,
                 const std::array<std::uint32_t, 256>& counts, std::uint32_t* next,
                 std::uint8_t*& text, BlockScratch& scratch) {
  constexpr std::uint32_t kStopFlag = 0x80000000u, kRowMask = 0xFFFFFu;
  // Start rows, sorted: the origin and evenly spaced rows (only the origin for short blocks).
  std::array<std::uint32_t, kChains> starts;
  int chains = 0;
  const std::uint32_t wanted = n < 4096 ? 1 : kChains;
  for (std::uint32_t m = 0; m < wanted && chains + 1 < kChains; ++m) {
    const auto row = static_cast<std::uint32_t>(std::uint64_t{m} * n / wanted);
    if (row != origin) starts[chains++] = row;
  }
  starts[chains++] = origin;
  std::sort(starts.begin(), starts.begin() + chains);

  std::array<std::uint32_t, 256> first_row;
  std::uint32_t sum = 0;
  for (int c = 0; c < 256; ++c) {
    first_row[c] = sum;
    sum += counts[c];
  }
  // next[] for the rows in order, flagging the entries that lead to a start row.
  std::uint32_t i = 0;
  for (int k = 0; k <= chains; ++k) {
    const std::uint32_t stop = k < chains ? starts[k] : n;
    for (; i < stop; ++i) {
      const std::uint32_t b = block[i];
      next[first_row[b]++] = (i << 8) | b;
    }
    if (k < chains) {
      const std::uint32_t b = block[i];
      next[first_row[b]++] = kStopFlag | (i << 8) | b;
      ++i;
    }
  }

  struct Chain {
    std::uint32_t row;  // next row to read
    int index;          // its start in `starts`
    std::uint8_t* out;
    std::uint8_t* out_end;
  };
  const std::size_t chunk = kChunkBytes;
  std::uint8_t* pool = block;  // n + (chains + 1) * chunk bytes (see decode_block_fast)
  std::size_t next_chunk = 0;
  for (auto& list : scratch.chunk_lists) list.clear();
  std::array<Chain, kChains> live;
  std::array<std::uint32_t, kChains> end_row;
  std::array<std::uint8_t*, kChains> last_out;
  int active = 0;
  for (int k = 0; k < chains; ++k) {
    std::uint8_t* c = pool + chunk * next_chunk;
    scratch.chunk_lists[k].push_back(static_cast<std::uint32_t>(next_chunk++));
    live[active++] = {starts[k], k, c, c + chunk};
  }
  std::uint64_t steps = 0;
  while (active > 0) {
    steps += static_cast<std::uint64_t>(active);
    if (steps > n) return false;
    for (int a = 0; a < active;) {
      Chain& c = live[a];
      const std::uint32_t e = next[c.row];
      *c.out++ = static_cast<std::uint8_t>(e);
      c.row = (e >> 8) & kRowMask;
      if (e & kStopFlag) {
        end_row[c.index] = c.row;
        last_out[c.index] = c.out;
        live[a] = live[--active];
        continue;
      }
      if (c.out == c.out_end) {
        c.out = pool + chunk * next_chunk;
        c.out_end = c.out + chunk;
        scratch.chunk_lists[c.index].push_back(static_cast<std::uint32_t>(next_chunk++));
      }
      ++a;
    }
  }
  // The stretches in text order: the origin's first, each followed by the one it ran into.
  auto chain_of = [&](std::uint32_t row) {
    return static_cast<int>(std::find(starts.begin(), starts.begin() + chains, row) -
                            starts.begin());
  };
  int k = chain_of(origin);
  text = reinterpret_cast<std::uint8_t*>(next);
  std::uint32_t written = 0;
  for (int visited = 1; visited <= chains; ++visited) {
    const auto& list = scratch.chunk_lists[k];
    for (std::size_t c = 0; c < list.size(); ++c) {
      const std::uint8_t* from = pool + chunk * list[c];
      const std::size_t len =
          c + 1 < list.size() ? chunk : static_cast<std::size_t>(last_out[k] - from);
      if (len > n - written) return false;
      std::memcpy(text + written, from, len);
      written += static_cast<std::uint32_t>(len);
    }
    k = chain_of(end_row[k]);
    if (k == chains || (starts[k] == origin) != (visited == chains)) return false;
  }
  return written == n;
}

}  // namespace

template <typename T>
void HugePageArray<T>::grow(std::size_t n) {
  release();
  // Huge pages only for arrays of several of them (next[], read at random): rounding a smaller
  // one up would keep up to a huge page of unused memory resident per decoder thread.
  constexpr std::size_t kHuge = std::size_t{2} << 20, kPage = std::size_t{4} << 10;
  const std::size_t align = n * sizeof(T) >= kHuge ? kHuge : kPage;
  const std::size_t bytes = (n * sizeof(T) + align - 1) / align * align;
  void* p = std::aligned_alloc(align, bytes);
  if (p == nullptr) throw std::bad_alloc();
  if (align == kHuge) ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: works without
  data_ = static_cast<T*>(p);
  capacity_ = bytes / sizeof(T);
}

template <typename T>
void HugePageArray<T>::release() {
  std::free(data_);
  data_ = nullptr;
  capacity_ = 0;
}

template class HugePageArray<std::uint8_t>;
template class HugePageArray<std::uint32_t>;

std::uint32_t block_crc(const std::uint8_t* p, std::size_t n) {
  const auto& t = crc_tables().t;
  std::uint32_t crc = 0xFFFFFFFFu;
  for (; n >= 8; n -= 8, p += 8) {
    const std::uint32_t x = crc ^ load_be32(p), y = load_be32(p + 4);
    crc = t[7][x >> 24] ^ t[6][(x >> 16) & 0xFF] ^ t[5][(x >> 8) & 0xFF] ^ t[4][x & 0xFF] ^
          t[3][y >> 24] ^ t[2][(y >> 16) & 0xFF] ^ t[1][(y >> 8) & 0xFF] ^ t[0][y & 0xFF];
  }
  for (; n > 0; --n, ++p) crc = (crc << 8) ^ t[0][(crc >> 24) ^ *p];
  return ~crc;
}

bool decode_block_fast(const unsigned char* data, std::size_t size, std::uint64_t begin_bit,
                       std::uint64_t end_bit, char level, std::uint32_t crc, std::string& out,
                       BlockScratch& scratch) {
  if (level < '1' || level > '9' || end_bit > std::uint64_t{size} * 8) return false;
  BitReader in(data, size, begin_bit);
  if ((std::uint64_t{in.get(24)} << 24 | in.get(24)) != kBlockMagic) return false;
  if (in.get(32) != crc) return false;
  if (in.get(1) != 0) return false;  // randomised (bzip2 0.9.0 only): libbz2 handles it
  const std::uint32_t origin = in.get(24);

  // Byte values used in the block, in order.
  std::array<std::uint8_t, 256> used_bytes;
  int used = 0;
  const std::uint32_t ranges = in.get(16);
  for (int r = 0; r < 16; ++r) {
    if (!(ranges & (0x8000u >> r))) continue;
    const std::uint32_t bits = in.get(16);
    for (int k = 0; k < 16; ++k) {
      if (bits & (0x8000u >> k)) used_bytes[used++] = static_cast<std::uint8_t>(r * 16 + k);
    }
  }
  if (used == 0) return false;
  const int alphabet = used + 2;  // RUNA, RUNB, move-to-front positions 1..used-1, end of block
  const int end_of_block = used + 1;

  const int groups = static_cast<int>(in.get(3));
  if (groups < 2 || groups > kMaxGroups) return false;
  const int selectors = static_cast<int>(in.get(15));
  if (selectors < 1 || selectors > kMaxSelectors) return false;
  std::array<std::uint8_t, kMaxSelectors> selector;
  {
    std::array<std::uint8_t, kMaxGroups> order{0, 1, 2, 3, 4, 5};
    for (int i = 0; i < selectors; ++i) {
      int j = 0;
      while (in.get(1)) {
        if (++j >= groups) return false;
      }
      const std::uint8_t g = order[j];
      for (; j > 0; --j) order[j] = order[j - 1];
      order[0] = g;
      selector[i] = g;
    }
  }

  std::array<HuffmanTable, kMaxGroups> tables;
  for (int t = 0; t < groups; ++t) {
    std::array<std::uint8_t, kMaxAlphabet> lengths;
    int len = static_cast<int>(in.get(5));
    for (int s = 0; s < alphabet; ++s) {
      for (;;) {
        if (len < 1 || len > kMaxCodeLength) return false;
        if (!in.get(1)) break;
        len += in.get(1) ? -1 : 1;
      }
      lengths[s] = static_cast<std::uint8_t>(len);
    }
    if (!tables[t].build(lengths.data(), alphabet)) return false;
  }

  // Huffman + run-length (RUNA/RUNB) + move-to-front decoding into the BWT output.
  const std::size_t limit = static_cast<std::size_t>(level - '0') * 100000;
  std::uint8_t* block = scratch.symbols.get(limit + (kChains + 1) * kChunkBytes);
  std::size_t n = 0;
  std::array<std::uint32_t, 256> counts{};
  std::array<std::uint8_t, 256> front;  // move-to-front list of byte values
  std::copy(used_bytes.begin(), used_bytes.begin() + used, front.begin());
  int next_selector = 0, left_in_group = 0;
  const HuffmanTable* table = nullptr;
  // Inlined by hand-holding: as a plain lambda GCC calls it once per symbol.
  auto next_symbol = [&]() __attribute__((always_inline))->int {
    if (left_in_group == 0) {
      if (next_selector >= selectors) return -1;
      table = &tables[selector[next_selector++]];
      left_in_group = kGroupSize;
    }
    --left_in_group;
    return table->decode(in);
  };
  int sym = next_symbol();
  for (;;) {
    if (sym < 0) return false;
    if (sym <= 1) {  // a run of the front byte: RUNA/RUNB digits of a bijective base-2 number
      std::size_t run = 0, weight = 1;
      do {
        if (weight >= (std::size_t{2} << 20)) return false;
        run += weight << sym;
        weight <<= 1;
        sym = next_symbol();
      } while (sym == 0 || sym == 1);
      if (run > limit - n) return false;
      std::memset(block + n, front[0], run);
      counts[front[0]] += static_cast<std::uint32_t>(run);
      n += run;
      continue;
    }
    if (sym == end_of_block) break;
    if (n >= limit) return false;
    const int pos = sym - 1;
    const std::uint8_t b = front[pos];
    move_to_front(front.data(), pos);
    block[n++] = b;
    ++counts[b];
    sym = next_symbol();
  }
  if (in.position() != end_bit || origin >= n) return false;

  std::uint32_t* next = scratch.next.get(limit);
  std::uint8_t* text = nullptr;
  if (!inverse_bwt(block, static_cast<std::uint32_t>(n), origin, counts, next, text, scratch)) {
    return false;
  }
  if (!undo_runs(text, n, out)) return false;
  return block_crc(reinterpret_cast<const std::uint8_t*>(out.data()), out.size()) == crc;
}

}  // namespace natsbench::bz2::detail
