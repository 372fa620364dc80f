#pragma once
// A bzip2 block decoder built for speed (the parallel decoder's workers use it): table-driven
// Huffman decoding, and the inverse BWT walked as two independent chains (forward from the
// origin and backward from it), which keeps two cache misses in flight instead of one.
//
// It accepts only what the bzip2 encoder writes: anything else (a randomised block, a Huffman
// code that is not complete, an invalid symbol, a CRC mismatch) makes it return false, and the
// caller decodes that block with libbz2, so output and error messages stay libbz2's.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace natsbench::bz2::detail {

// An array on its own 2 MiB-aligned memory, marked for transparent huge pages: the inverse BWT
// reads it at random, and with 4 KiB pages most of those reads would also miss the TLB.
template <typename T>
class HugePageArray {
 public:
  HugePageArray() = default;
  HugePageArray(const HugePageArray&) = delete;
  HugePageArray& operator=(const HugePageArray&) = delete;
  ~HugePageArray() { release(); }
  T* get(std::size_t n) {
    if (n > capacity_) grow(n);
    return data_;
  }

 private:
  void grow(std::size_t n);
  void release();
  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

inline constexpr int kChains = 16;                 // chains of the inverse BWT walked at once
inline constexpr std::size_t kChunkBytes = 16384;  // output chunk of one chain

// Working memory of one decoder thread, reused from block to block (about 5 MiB at level 9: 1.2 MB
// of symbols, 4 MiB of next[] in huge pages).
struct BlockScratch {
  // The block after Huffman + move-to-front (BWT output), then the pool of the text stretches
  // spelled by the inverse BWT's chains.
  HugePageArray<std::uint8_t> symbols;
  // next row << 8 | byte for the inverse BWT, then the text (still run-length coded).
  HugePageArray<std::uint32_t> next;
  std::vector<std::uint32_t> chunk_lists[kChains];  // chunks of each chain, in order
};

// Decodes the block whose bits are [begin_bit, end_bit) of `data` (begin_bit at its block magic,
// end_bit at the next magic) from a stream of compression level `level` ('1'..'9'), checks it
// against `crc` (from the block header) and appends nothing but replaces `out` with the block's
// bytes. Returns false (with `out` unspecified) when the block must be decoded by libbz2.
bool decode_block_fast(const unsigned char* data, std::size_t size, std::uint64_t begin_bit,
                       std::uint64_t end_bit, char level, std::uint32_t crc, std::string& out,
                       BlockScratch& scratch);

// The bzip2 CRC (CRC-32, polynomial 0x04C11DB7, most significant bit first) of `n` bytes.
std::uint32_t block_crc(const std::uint8_t* bytes, std::size_t n);

}  // namespace natsbench::bz2::detail
