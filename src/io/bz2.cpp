#include "natsbench/io/bz2.h"

#include <bzlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "natsbench/util/atomic_file.h"

#include "bz2_block.h"
#include "natsbench/util/error.h"

namespace natsbench::bz2 {

namespace {

constexpr std::size_t kOutChunk = std::size_t{1} << 20;  // sink chunk size
constexpr std::size_t kMaxFeed = std::size_t{1} << 30;   // bz_stream counts are 32-bit

std::string prefix(const std::string& source) {
  return source.empty() ? std::string("bz2: ") : "bz2: '" + source + "': ";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Decompressor

struct Decompressor::Impl {
  std::string source;
  bz_stream strm{};
  bool active = false;    // inside a stream (BZ2_bzDecompressInit done)
  bool ignoring = false;  // trailing garbage after a complete stream: skip the rest
  std::uint64_t total_in = 0;
  std::uint64_t total_out = 0;
  std::uint64_t streams = 0;
  std::uint64_t stream_start = 0;  // compressed offset where the current stream began
  std::vector<char> out;

  ~Impl() {
    if (active) BZ2_bzDecompressEnd(&strm);
  }

  [[noreturn]] void fail(const std::string& what) const { throw Error(prefix(source) + what); }

  void begin_stream() {
    strm = bz_stream{};
    const int rc = BZ2_bzDecompressInit(&strm, 0, 0);
    if (rc != BZ_OK) {
      fail(rc == BZ_MEM_ERROR ? "out of memory"
                              : "cannot start decoder (code " + std::to_string(rc) + ")");
    }
    active = true;
    stream_start = total_in;
  }

  void end_stream() {
    BZ2_bzDecompressEnd(&strm);
    active = false;
  }

  void feed(std::string_view data, const Sink& sink) {
    // Small first chunks for small inputs; up to kOutChunk once the output keeps coming.
    if (out.empty()) out.resize(std::size_t{64} << 10);
    std::size_t offset = 0;
    while (!ignoring) {
      if (!active) {
        if (offset == data.size()) return;
        begin_stream();
      }
      const std::size_t given = std::min(data.size() - offset, kMaxFeed);
      strm.next_in = const_cast<char*>(data.data() + offset);
      strm.avail_in = static_cast<unsigned>(given);
      strm.next_out = out.data();
      strm.avail_out = static_cast<unsigned>(out.size());
      const int rc = BZ2_bzDecompress(&strm);
      const std::size_t consumed = given - strm.avail_in;
      const std::size_t produced = out.size() - strm.avail_out;
      offset += consumed;
      total_in += consumed;
      if (produced > 0) {
        total_out += produced;
        sink(std::string_view(out.data(), produced));
        if (strm.avail_out == 0 && out.size() < kOutChunk) out.resize(out.size() * 2);
      }
      if (rc == BZ_STREAM_END) {
        end_stream();
        ++streams;
        continue;
      }
      if (rc != BZ_OK) {
        if (rc == BZ_DATA_ERROR_MAGIC && streams > 0 && stream_start + 4 >= total_in) {
          // Not a bzip2 stream after a complete one: ignore the rest, as Python does.
          end_stream();
          ignoring = true;
          return;
        }
        const std::string where = " at compressed byte " + std::to_string(total_in);
        switch (rc) {
          case BZ_DATA_ERROR_MAGIC:
            fail("not a bzip2 stream (bad magic)" + where);
          case BZ_DATA_ERROR:
            fail("corrupt data (bad block, CRC mismatch or invalid code)" + where);
          case BZ_MEM_ERROR:
            fail("out of memory");
          default:
            fail("decoder error " + std::to_string(rc) + where);
        }
      }
      if (strm.avail_out != 0) {
        if (offset == data.size()) return;  // all input consumed; more is needed
        if (consumed == 0 && produced == 0) fail("decoder made no progress");
      }
    }
  }

  void finish() {
    if (active) {
      fail("truncated stream after " + std::to_string(total_in) + " bytes (stream " +
           std::to_string(streams + 1) + " has no end-of-stream marker)");
    }
    if (streams == 0) fail("empty input (no bzip2 stream)");
  }
};

Decompressor::Decompressor(std::string source) : impl_(std::make_unique<Impl>()) {
  impl_->source = std::move(source);
}
Decompressor::~Decompressor() = default;
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;

void Decompressor::feed(std::string_view compressed, const Sink& sink) {
  impl_->feed(compressed, sink);
}
void Decompressor::finish() {
  impl_->finish();
}
std::uint64_t Decompressor::bytes_in() const {
  return impl_->total_in;
}
std::uint64_t Decompressor::bytes_out() const {
  return impl_->total_out;
}
std::uint64_t Decompressor::streams() const {
  return impl_->streams;
}

// ---------------------------------------------------------------------------------------------
// Parallel block decoding

namespace {

constexpr std::uint64_t kBlockMagic = 0x314159265359ULL;  // pi
constexpr std::uint64_t kEndMagic = 0x177245385090ULL;    // sqrt(pi)

// Big-endian 64 bits starting at byte i (zeros past the end).
inline std::uint64_t load_be64(const unsigned char* d, std::size_t size, std::size_t i) {
  std::uint64_t w = 0;
  if (i + 8 <= size) {
    std::memcpy(&w, d + i, 8);
    return __builtin_bswap64(w);
  }
  for (std::size_t k = 0; k < 8; ++k) w = (w << 8) | (i + k < size ? d[i + k] : 0);
  return w;
}

// n <= 32 bits at bit position `bit` (bzip2 bit order: most significant bit first).
inline std::uint32_t bits_at(const unsigned char* d, std::size_t size, std::uint64_t bit, int n) {
  const std::uint64_t w = load_be64(d, size, static_cast<std::size_t>(bit / 8)) << (bit % 8);
  return static_cast<std::uint32_t>(w >> (64 - n));
}

struct Magic {
  std::uint64_t bit;
  bool end;  // end-of-stream magic (else block magic)
};

// For the bytes 1 and 2 after a byte where a magic starts at bit k: bit k (block magic) or
// 8 + k (end-of-stream magic) is set in filter[0][byte 1] and filter[1][byte 2]. Both bytes lie
// inside the magic whatever k, so two look-ups rule out all but a few positions in 4,000.
struct MagicFilter {
  std::uint16_t table[2][256] = {};
  MagicFilter() {
    const std::uint64_t magics[2] = {kBlockMagic, kEndMagic};
    for (int m = 0; m < 2; ++m) {
      for (int k = 0; k < 8; ++k) {
        const std::uint64_t w = magics[m] << (16 - k);  // the magic at bit k of a 64-bit window
        const auto bit = static_cast<std::uint16_t>(1u << (8 * m + k));
        table[0][(w >> 48) & 0xFF] |= bit;
        table[1][(w >> 40) & 0xFF] |= bit;
      }
    }
  }
};

// Every bit position in bytes [from, to) where a block or end-of-stream magic starts.
void scan_magics(const unsigned char* d, std::size_t size, std::size_t from, std::size_t to,
                 std::vector<Magic>& out) {
  static const MagicFilter filter;
  const std::uint64_t limit = std::uint64_t{size} * 8;
  for (std::size_t i = from; i < to; ++i) {
    unsigned candidates = 0xFFFF;
    if (i + 2 < size) candidates = filter.table[0][d[i + 1]] & filter.table[1][d[i + 2]];
    if (candidates == 0) continue;
    const std::uint64_t w = load_be64(d, size, i);
    for (unsigned k = 0; k < 8; ++k) {
      if (!(candidates & (0x101u << k))) continue;
      const std::uint64_t v = (w << k) >> 16;
      if ((v == kBlockMagic || v == kEndMagic) && std::uint64_t{i} * 8 + k + 48 <= limit) {
        out.push_back({std::uint64_t{i} * 8 + k, v == kEndMagic});
      }
    }
  }
}

struct Block {
  std::uint64_t begin_bit;  // at its magic
  std::uint64_t end_bit;    // at the next magic
  std::uint32_t crc;
  char level;
};

bool valid_header(const unsigned char* d, std::size_t size, std::size_t at) {
  return at + 4 <= size && d[at] == 'B' && d[at + 1] == 'Z' && d[at + 2] == 'h' &&
         d[at + 3] >= '1' && d[at + 3] <= '9';
}

// Splits `data` into blocks. Returns false unless the data is exactly a sequence of complete
// streams in which every block's position is certain: each stream's combined CRC, computed from
// the CRCs in its block headers, must equal the one stored after its end-of-stream magic (a
// magic-like bit pattern inside compressed data would break that).
bool plan_blocks(const unsigned char* d, std::size_t size, unsigned threads,
                 std::vector<Block>& blocks) {
  std::vector<Magic> magics;
  {
    const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(threads, size >> 16));
    std::vector<std::vector<Magic>> found(parts);
    std::vector<std::thread> pool;
    for (std::size_t p = 0; p < parts; ++p) {
      pool.emplace_back(
          [&, p] { scan_magics(d, size, size * p / parts, size * (p + 1) / parts, found[p]); });
    }
    for (auto& t : pool) t.join();
    for (auto& f : found) magics.insert(magics.end(), f.begin(), f.end());
  }
  if (size == 0) return false;  // the sequential decoder reports it
  std::size_t at = 0;           // byte offset of the current stream header
  std::size_t m = 0;            // next magic to consider
  while (at < size) {
    if (!valid_header(d, size, at)) return false;
    const char level = static_cast<char>(d[at + 3]);
    std::uint64_t expect = (std::uint64_t{at} + 4) * 8;
    while (m < magics.size() && magics[m].bit < expect) ++m;
    std::uint32_t combined = 0;
    for (;;) {
      if (m >= magics.size() || magics[m].bit != expect) return false;
      const Magic magic = magics[m++];
      if (magic.bit + 80 > std::uint64_t{size} * 8) return false;
      const std::uint32_t crc = bits_at(d, size, magic.bit + 48, 32);
      if (magic.end) {
        if (crc != combined) return false;
        at = static_cast<std::size_t>((magic.bit + 80 + 7) / 8);
        break;
      }
      combined = ((combined << 1) | (combined >> 31)) ^ crc;
      // The block ends where the next magic starts.
      if (m >= magics.size()) return false;
      blocks.push_back({magic.bit, magics[m].bit, crc, level});
      expect = magics[m].bit;
    }
  }
  return true;
}

class BitWriter {
 public:
  explicit BitWriter(std::string& out) : out_(out) {}
  void put(std::uint64_t value, int n) {  // n <= 32
    acc_ = (acc_ << n) | (value & ((std::uint64_t{1} << n) - 1));
    count_ += n;
    while (count_ >= 8) {
      count_ -= 8;
      out_.push_back(static_cast<char>((acc_ >> count_) & 0xFF));
    }
  }
  void flush() {
    if (count_ > 0) put(0, 8 - count_);
  }
  bool aligned() const { return count_ == 0; }

 private:
  std::string& out_;
  std::uint64_t acc_ = 0;
  int count_ = 0;
};

// One block as a stream of its own: header, the block's bits re-aligned, end-of-stream magic,
// and the combined CRC of a one-block stream (= the block CRC).
std::string single_block_stream(const unsigned char* d, std::size_t size, const Block& b) {
  std::string out = "BZh";
  out += b.level;
  const std::uint64_t nbits = b.end_bit - b.begin_bit;
  out.reserve(out.size() + static_cast<std::size_t>(nbits / 8) + 16);
  const std::size_t first = static_cast<std::size_t>(b.begin_bit / 8);
  const unsigned shift = static_cast<unsigned>(b.begin_bit % 8);
  const std::size_t full = static_cast<std::size_t>(nbits / 8);
  if (shift == 0) {
    out.append(reinterpret_cast<const char*>(d + first), full);
  } else {
    const std::size_t base = out.size();
    out.resize(base + full);
    for (std::size_t j = 0; j < full; ++j) {
      out[base + j] =
          static_cast<char>(((d[first + j] << shift) | (d[first + j + 1] >> (8 - shift))) & 0xFF);
    }
  }
  BitWriter w(out);
  const int rest = static_cast<int>(nbits % 8);
  if (rest > 0) w.put(bits_at(d, size, b.begin_bit + full * 8, rest), rest);
  w.put(kEndMagic >> 24, 24);
  w.put(kEndMagic & 0xFFFFFF, 24);
  w.put(b.crc, 32);
  w.flush();
  return out;
}

// Recycles libbz2's allocations (a 3.6 MB table per stream at level 9) from block to block of
// one worker: fresh pages for every block can cost more than decoding it.
class BlockMemory {
 public:
  BlockMemory() = default;
  BlockMemory(const BlockMemory&) = delete;
  BlockMemory& operator=(const BlockMemory&) = delete;
  ~BlockMemory() {
    for (auto& item : free_) std::free(item.second);
  }
  static void* alloc(void* self, int items, int size) {
    auto& m = *static_cast<BlockMemory*>(self);
    const std::size_t n = static_cast<std::size_t>(items) * static_cast<std::size_t>(size);
    for (std::size_t i = 0; i < m.free_.size(); ++i) {
      if (m.free_[i].first == n) {
        void* base = m.free_[i].second;
        m.free_.erase(m.free_.begin() + static_cast<std::ptrdiff_t>(i));
        return static_cast<char*>(base) + kHeader;
      }
    }
    void* base = std::malloc(n + kHeader);
    if (!base) return nullptr;
    std::memcpy(base, &n, sizeof n);
    return static_cast<char*>(base) + kHeader;
  }
  static void release(void* self, void* p) {
    if (!p) return;
    auto& m = *static_cast<BlockMemory*>(self);
    void* base = static_cast<char*>(p) - kHeader;
    std::size_t n;
    std::memcpy(&n, base, sizeof n);
    m.free_.emplace_back(n, base);
  }

 private:
  static constexpr std::size_t kHeader = 16;  // keeps malloc's alignment
  std::vector<std::pair<std::size_t, void*>> free_;
};

// Decodes one block with the fast decoder, or with libbz2 when the fast decoder declines it (an
// unusual or corrupt block: libbz2 then gives the verdict).
void decode_block(const unsigned char* d, std::size_t size, const Block& b, std::string& out,
                  BlockMemory& memory, detail::BlockScratch& scratch) {
  if (detail::decode_block_fast(d, size, b.begin_bit, b.end_bit, b.level, b.crc, out, scratch)) {
    return;
  }
  std::string stream = single_block_stream(d, size, b);
  bz_stream strm{};
  strm.bzalloc = &BlockMemory::alloc;
  strm.bzfree = &BlockMemory::release;
  strm.opaque = &memory;
  if (BZ2_bzDecompressInit(&strm, 0, 0) != BZ_OK) throw std::bad_alloc();
  struct Guard {
    bz_stream* s;
    ~Guard() { BZ2_bzDecompressEnd(s); }
  } guard{&strm};
  out.resize(std::max(out.capacity(), std::size_t{1} << 20));
  strm.next_in = stream.data();
  strm.avail_in = static_cast<unsigned>(stream.size());
  std::size_t produced = 0;
  for (;;) {
    if (out.size() - produced < (std::size_t{1} << 16)) out.resize(out.size() * 2);
    strm.next_out = out.data() + produced;
    strm.avail_out = static_cast<unsigned>(std::min(out.size() - produced, kMaxFeed));
    const unsigned room = strm.avail_out;
    const int rc = BZ2_bzDecompress(&strm);
    produced += room - strm.avail_out;
    if (rc == BZ_STREAM_END) break;
    if (rc != BZ_OK || (strm.avail_in == 0 && strm.avail_out != 0)) {
      throw Error(
          "corrupt data (bad block, CRC mismatch or invalid code) in the block at "
          "compressed byte " +
          std::to_string(b.begin_bit / 8));
    }
  }
  out.resize(produced);
}

// Decodes the planned blocks on `threads` workers and hands the outputs to `sink` in order,
// keeping at most threads + 1 blocks decoded ahead of the sink (each about 1 MB: the look-ahead
// is part of the peak memory of a benchmark load).
// `on_consumed(n)`: the first n input bytes are no longer needed (every block before them has
// been emitted); may be empty.
void decode_blocks(const unsigned char* d, std::size_t size, const std::vector<Block>& blocks,
                   unsigned threads, const Sink& sink, const std::string& source,
                   const std::function<void(std::size_t)>& on_consumed = {}) {
  struct Slot {
    std::string data;
    std::string error;
    bool ready = false;
  };
  const std::size_t window = std::size_t{threads} + 1;
  std::vector<Slot> slots(blocks.size());
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t next = 0, emitted = 0;
  bool stop = false;
  std::vector<std::string> spare;  // emptied output buffers, reused (their pages stay mapped)

  auto worker = [&] {
    BlockMemory memory;
    detail::BlockScratch scratch;
    for (;;) {
      std::size_t i;
      std::string out, error;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock,
                     [&] { return stop || next >= blocks.size() || next < emitted + window; });
        if (stop || next >= blocks.size()) return;
        i = next++;
        if (!spare.empty()) {
          out = std::move(spare.back());
          spare.pop_back();
        }
      }
      try {
        decode_block(d, size, blocks[i], out, memory, scratch);
      } catch (const std::exception& e) {
        error = e.what();
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        slots[i].data = std::move(out);
        slots[i].error = std::move(error);
        slots[i].ready = true;
      }
      changed.notify_all();
    }
  };
  std::vector<std::thread> pool;
  auto finish = [&] {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    changed.notify_all();
    for (auto& t : pool) t.join();
    pool.clear();
  };
  try {
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      std::string data;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return slots[i].ready; });
        if (!slots[i].error.empty()) throw Error(prefix(source) + slots[i].error);
        data = std::move(slots[i].data);
        slots[i].data = std::string();
      }
      if (!data.empty()) sink(data);
      data.clear();
      if (on_consumed) on_consumed(static_cast<std::size_t>(blocks[i].end_bit / 8));
      {
        std::lock_guard<std::mutex> lock(mutex);
        emitted = i + 1;
        spare.push_back(std::move(data));
      }
      changed.notify_all();
    }
  } catch (...) {
    finish();
    throw;
  }
  finish();
}

unsigned resolve_threads(unsigned threads, std::size_t size) {
  if (threads != kAutoThreads) return threads;
  if (size < (std::size_t{4} << 20)) return 1;
  // NATSBENCH_BZ2_THREADS=N overrides the automatic choice (e.g. on a cluster node's share).
  if (const char* env = std::getenv("NATSBENCH_BZ2_THREADS"); env != nullptr && *env != '\0') {
    const long n = std::strtol(env, nullptr, 10);
    if (n >= 1 && n <= 256) return static_cast<unsigned>(n);
  }
  // All hardware threads (the caller's parser runs beside them), and at least 2: on 2 cores two
  // decoders load the 1,000-arch official-format file in 4.5 s against 8.0 s for one (README):
  // the parser is faster than a decoder. A busy machine gains less; NATSBENCH_BZ2_THREADS sets
  // the count.
  return std::max(2u, std::min(32u, std::thread::hardware_concurrency()));
}

}  // namespace

void decompress_to(std::string_view data, const Sink& sink, unsigned threads,
                   const std::string& source) {
  threads = resolve_threads(threads, data.size());
  if (threads > 1) {
    const auto* d = reinterpret_cast<const unsigned char*>(data.data());
    std::vector<Block> blocks;
    if (plan_blocks(d, data.size(), threads, blocks)) {
      decode_blocks(d, data.size(), blocks, threads, sink, source);
      return;
    }
  }
  Decompressor decompressor(source);
  for (std::size_t offset = 0; offset < data.size(); offset += kMaxFeed) {
    decompressor.feed(data.substr(offset, kMaxFeed), sink);
  }
  decompressor.finish();
}

std::string decompress(std::string_view data, unsigned threads) {
  std::string out;
  out.reserve(std::min<std::size_t>(data.size() * 4, std::size_t{1} << 30));
  decompress_to(
      data, [&](std::string_view chunk) { out.append(chunk); }, threads);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compression

struct Compressor::Impl {
  bz_stream strm{};
  bool finished = false;
  std::vector<char> out = std::vector<char>(kOutChunk);
  // Parallel mode: input cut into kStreamChunk pieces, each compressed as a stream of its own on
  // a worker; at most 2 per thread in flight, emitted in order.
  static constexpr std::size_t kStreamChunk = std::size_t{8} << 20;
  int level = 9;
  unsigned threads = 1;
  std::string pending;
  std::deque<std::future<std::string>> jobs;
  std::size_t submitted = 0;

  void submit(const Sink& sink) {
    if (jobs.size() >= std::size_t{2} * threads) emit_oldest(sink);
    jobs.push_back(std::async(std::launch::async, [chunk = std::move(pending), l = level] {
      return compress(chunk, l);
    }));
    pending = std::string();
    ++submitted;
  }
  void emit_oldest(const Sink& sink) {
    const std::string packed = jobs.front().get();
    jobs.pop_front();
    sink(packed);
  }

  ~Impl() { BZ2_bzCompressEnd(&strm); }

  // Runs the encoder over `data` with `action` until it has taken all the input (BZ_RUN) or
  // ended the stream (BZ_FINISH), passing the output on.
  void step(std::string_view data, int action, const Sink& sink) {
    std::size_t offset = 0;
    bool out_full = false;
    do {
      const std::size_t given = std::min(data.size() - offset, kMaxFeed);
      strm.next_in = const_cast<char*>(data.data() + offset);
      strm.avail_in = static_cast<unsigned>(given);
      strm.next_out = out.data();
      strm.avail_out = static_cast<unsigned>(out.size());
      const int rc = BZ2_bzCompress(&strm, action);
      offset += given - strm.avail_in;
      const std::size_t produced = out.size() - strm.avail_out;
      if (produced > 0) sink(std::string_view(out.data(), produced));
      if (rc == BZ_STREAM_END) return;
      // BZ_RUN with neither input nor pending output reports "no progress" as BZ_PARAM_ERROR.
      if (action == BZ_RUN && rc == BZ_PARAM_ERROR && given == 0) return;
      if (rc != BZ_RUN_OK && rc != BZ_FINISH_OK) {
        throw Error("bz2: encoder error (code " + std::to_string(rc) + ")");
      }
      out_full = strm.avail_out == 0;
    } while (action == BZ_FINISH || offset < data.size() || out_full);
  }
};

Compressor::Compressor(int level, unsigned threads) : impl_(std::make_unique<Impl>()) {
  if (level < 1 || level > 9) {
    throw ArgError("bz2: compression level must be 1..9, got " + std::to_string(level));
  }
  impl_->level = level;
  impl_->threads = threads == kAutoThreads
                       ? std::max(1u, std::min(32u, std::thread::hardware_concurrency()))
                       : threads;
  if (impl_->threads > 1) return;
  const int rc = BZ2_bzCompressInit(&impl_->strm, level, 0, 0);
  if (rc != BZ_OK) throw Error("bz2: cannot start encoder (code " + std::to_string(rc) + ")");
}

Compressor::~Compressor() = default;

void Compressor::feed(std::string_view data, const Sink& sink) {
  if (impl_->finished) throw Error("bz2: feed after finish");
  if (impl_->threads <= 1) {
    if (!data.empty()) impl_->step(data, BZ_RUN, sink);
    return;
  }
  while (!data.empty()) {
    const std::size_t take = std::min(data.size(), Impl::kStreamChunk - impl_->pending.size());
    impl_->pending.append(data.substr(0, take));
    data.remove_prefix(take);
    if (impl_->pending.size() == Impl::kStreamChunk) impl_->submit(sink);
  }
}

void Compressor::finish(const Sink& sink) {
  if (impl_->finished) throw Error("bz2: finish called twice");
  impl_->finished = true;
  if (impl_->threads <= 1) {
    impl_->step({}, BZ_FINISH, sink);
    return;
  }
  if (!impl_->pending.empty() || impl_->submitted == 0) impl_->submit(sink);
  while (!impl_->jobs.empty()) impl_->emit_oldest(sink);
}

std::string compress(std::string_view data, int level) {
  Compressor compressor(level);
  std::string out;
  out.reserve(data.size() / 4 + 1024);
  const Sink append = [&](std::string_view chunk) { out.append(chunk); };
  compressor.feed(data, append);
  compressor.finish(append);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Files

void decompress_file(const std::string& path, const Sink& sink, unsigned threads) {
  const int fd = open_regular_file(path);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error("cannot read '" + path + "': " + std::strerror(errno));
  const auto file_size = static_cast<std::size_t>(st.st_size);
  // A regular file is decoded block by block by natsbench's decoder, on one thread or more
  // (twice libbz2's speed per thread); libbz2 streams the rest (and files whose blocks cannot be
  // located with certainty).
  if (S_ISREG(st.st_mode) && file_size > 0) {
    void* map = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      struct Unmap {
        void* p;
        std::size_t n;
        ~Unmap() { ::munmap(p, n); }
      } unmap{map, file_size};
      ::madvise(map, file_size, MADV_SEQUENTIAL);
      const unsigned n = std::max(1u, resolve_threads(threads, file_size));
      const auto* d = static_cast<const unsigned char*>(map);
      std::vector<Block> blocks;
      if (plan_blocks(d, file_size, n, blocks)) {
        // Drop the pages of compressed input already decoded: otherwise the whole file stays
        // resident until the end (for an 80 MB benchmark file, a third of the peak memory). The
        // mapping is private and read-only, so dropped pages would simply be read again.
        const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        std::size_t released = 0;
        decode_blocks(d, file_size, blocks, n, sink, path, [&](std::size_t consumed) {
          const std::size_t upto = consumed / page * page;
          if (upto >= released + (std::size_t{1} << 20)) {
            ::madvise(static_cast<char*>(map) + released, upto - released, MADV_DONTNEED);
            released = upto;
          }
        });
        return;
      }
      decompress_to(std::string_view(static_cast<const char*>(map), file_size), sink, 1, path);
      return;
    }
  }
  Decompressor decompressor(path);
  std::vector<char> chunk(std::size_t{1} << 20);
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot read '" + path + "': " + std::strerror(errno));
    }
    if (n == 0) break;
    decompressor.feed(std::string_view(chunk.data(), static_cast<std::size_t>(n)), sink);
  }
  decompressor.finish();
}

ByteBuffer decompress_file(const std::string& path, unsigned threads) {
  ByteBuffer buffer;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && st.st_size > 0) {
    // A guess; bzip2 ratios of the benchmark pickles are 4-10x.
    buffer.reserve(static_cast<std::size_t>(st.st_size) * 6);
  }
  decompress_file(
      path, [&](std::string_view chunk) { buffer.append(chunk); }, threads);
  return buffer;
}

// ---------------------------------------------------------------------------------------------
// ByteBuffer

ByteBuffer::~ByteBuffer() {
  std::free(data_);
}

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  return *this;
}

void ByteBuffer::reserve(std::size_t capacity) {
  if (capacity <= capacity_) return;
  void* p = std::realloc(data_, capacity);
  if (!p) throw std::bad_alloc();
  data_ = static_cast<char*>(p);
  capacity_ = capacity;
}

void ByteBuffer::append(std::string_view bytes) {
  if (bytes.empty()) return;
  if (bytes.size() > capacity_ - size_) {
    reserve(std::max(size_ + bytes.size(), capacity_ + capacity_ / 2 + 4096));
  }
  std::memcpy(data_ + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

}  // namespace natsbench::bz2
