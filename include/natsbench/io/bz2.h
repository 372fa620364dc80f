#pragma once
// bzip2 (libbz2): whole-buffer and streaming decompression, compression.
//
// Like Python's bz2 module, decompression reads concatenated streams until the input ends, and
// ignores trailing bytes after at least one complete stream when they do not start a bzip2
// stream (bad magic). Truncated or corrupt input raises natsbench::Error naming the file (when
// known) and the compressed byte offset; it never crashes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace natsbench::bz2 {

// Receives decompressed data chunk by chunk (the view is valid during the call only).
using Sink = std::function<void(std::string_view chunk)>;

// How many threads decode bzip2 blocks in parallel: 0 = automatic (for inputs of at least
// 4 MiB all hardware threads, at least 2 and at most 32; else 1), 1 = sequential (libbz2),
// n >= 2 = n threads for any input size. Each thread needs about 10 MB for its decoder plus 2
// decoded blocks in flight.
// The parallel decoder (as lbzip2 does) locates the blocks by their bit-aligned magic numbers,
// checks every stream's combined CRC against the block CRCs before decoding anything, then
// decodes each block with natsbench's own block decoder (about twice libbz2's speed, see
// src/io/bz2_block.h); a block it declines is decoded by libbz2. The output is identical to the
// sequential decoder's. Anything unusual (trailing bytes, truncation, a CRC mismatch) takes the
// sequential path, so errors are the same too.
inline constexpr unsigned kAutoThreads = 0;

// Decompresses all streams of `data`. Throws Error on empty, truncated or corrupt input.
std::string decompress(std::string_view data, unsigned threads = kAutoThreads);

// Decompresses `data` into `sink` (chunks in order), with up to `threads` threads. `source`
// names the input in error messages.
void decompress_to(std::string_view data, const Sink& sink, unsigned threads = kAutoThreads,
                   const std::string& source = {});

// Compresses `data` into one bzip2 stream; level 1..9 (9 = Python's default). Throws ArgError
// for another level.
std::string compress(std::string_view data, int level = 9);

// Incremental compressor: feed() the data in any chunking, then finish(). Compressed bytes go to
// the sink as they are produced. With threads = 1, one bzip2 stream (what compress() writes);
// with more (kAutoThreads = all hardware threads), the input is cut into 8 MiB pieces compressed
// in parallel, each a bzip2 stream of its own: a multi-stream file, which Python's bz2 module
// (and so the official API), bzip2 and natsbench read as the concatenated data. The bytes then
// depend on the piece size only, not on the thread count.
class Compressor {
 public:
  explicit Compressor(int level = 9, unsigned threads = 1);  // ArgError: level outside 1..9
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
  void feed(std::string_view data, const Sink& sink);
  void finish(const Sink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Incremental decompressor: feed compressed bytes in any chunking, decoded bytes go to the sink.
class Decompressor {
 public:
  // `source` names the input in error messages (e.g. the file path); may be empty.
  explicit Decompressor(std::string source = {});
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;

  // Decodes `compressed` (the next bytes of the input) and passes the output to `sink` in
  // chunks of at most 1 MiB. Throws Error on corrupt data.
  void feed(std::string_view compressed, const Sink& sink);
  // Declares the end of the input. Throws Error if it ended inside a stream, or if there was no
  // stream at all.
  void finish();

  std::uint64_t bytes_in() const;   // compressed bytes consumed so far
  std::uint64_t bytes_out() const;  // decompressed bytes produced so far
  std::uint64_t streams() const;    // complete streams decoded so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decompresses the file at `path` into `sink` without holding a second copy of the output:
// sequentially it streams the file 1 MiB at a time; in parallel it maps the file (mmap) and
// keeps at most a few blocks per thread in flight. Errors name the path.
void decompress_file(const std::string& path, const Sink& sink, unsigned threads = kAutoThreads);

// A growable byte buffer on malloc/realloc: big buffers grow in place (mremap on Linux), so
// growing a multi-GB buffer never holds two copies of it.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ~ByteBuffer();
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer(ByteBuffer&& other) noexcept;
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;

  const char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::string_view view() const noexcept { return {data_, size_}; }
  void reserve(std::size_t capacity);
  void append(std::string_view bytes);

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Decompresses the whole file at `path` into memory.
ByteBuffer decompress_file(const std::string& path, unsigned threads = kAutoThreads);

}  // namespace natsbench::bz2
