#pragma once
// The pickle reader's memo (private to src/io). load() runs a prescan first and keeps only the
// entries that a later GET reads (Memo); load_stream() cannot look ahead and keeps the cheap
// entries, dropping the rest until a GET proves one was needed (StreamMemo, MemoDropped); it
// then prescans the stream (MemoPrescan) and reads it again keeping only what is read later.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "natsbench/io/pickle.h"

namespace natsbench::pickle::detail {

// A set of memo indices: a bitset below `limit` (grown on demand), a hash set above it.
class IndexSet {
 public:
  explicit IndexSet(std::uint64_t limit) : limit_(limit) {}

  bool insert(std::uint64_t idx) {
    if (idx < limit_) {
      const std::size_t word = static_cast<std::size_t>(idx >> 6);
      if (word >= bits_.size()) bits_.resize(std::max<std::size_t>(word + 1, bits_.size() * 2));
      const std::uint64_t mask = std::uint64_t{1} << (idx & 63);
      if (bits_[word] & mask) return false;
      bits_[word] |= mask;
      return true;
    }
    return sparse_.insert(idx).second;
  }

  bool contains(std::uint64_t idx) const {
    if (idx < limit_) {
      const std::size_t word = static_cast<std::size_t>(idx >> 6);
      return word < bits_.size() && ((bits_[word] >> (idx & 63)) & 1);
    }
    return sparse_.count(idx) != 0;
  }

  bool dense(std::uint64_t idx) const { return idx < limit_; }
  const std::vector<std::uint64_t>& bits() const { return bits_; }

  // Moves the bitset's end up to `limit` (a streaming prescan learns the input size as it goes).
  void raise_limit(std::uint64_t limit) {
    if (limit <= limit_) return;
    limit_ = limit;
    for (auto it = sparse_.begin(); it != sparse_.end();) {
      if (*it < limit_) {
        insert(*it);
        it = sparse_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  std::uint64_t limit_;
  std::vector<std::uint64_t> bits_;
  std::unordered_set<std::uint64_t> sparse_;
};

// Python's memo numbering: MEMOIZE uses the number of distinct indices defined so far.
class MemoCounter {
 public:
  explicit MemoCounter(std::uint64_t limit) : defined_(limit) {}
  void define(std::uint64_t idx) {
    if (defined_.insert(idx)) ++len_;
  }
  std::uint64_t next() const { return len_; }
  bool defined(std::uint64_t idx) const { return defined_.contains(idx); }
  void raise_limit(std::uint64_t limit) { defined_.raise_limit(limit); }

 private:
  IndexSet defined_;
  std::uint64_t len_ = 0;
};

// The memo of the main pass: keeps only the indices that the prescan saw a GET for.
class Memo {
 public:
  Memo(std::uint64_t limit, IndexSet needed) : counter_(limit), needed_(std::move(needed)) {
    const auto& bits = needed_.bits();
    rank_.resize(bits.size());
    std::size_t total = 0;
    for (std::size_t w = 0; w < bits.size(); ++w) {
      rank_[w] = total;
      total += static_cast<std::size_t>(__builtin_popcountll(bits[w]));
    }
    slots_.resize(total);
  }

  std::uint64_t next() const { return counter_.next(); }

  void define(std::uint64_t idx, const Value& v) {
    counter_.define(idx);
    if (!needed_.contains(idx)) return;
    if (needed_.dense(idx)) {
      slots_[slot(idx)] = v;
    } else {
      sparse_[idx] = v;
    }
  }

  // nullptr when the index was never defined.
  const Value* get(std::uint64_t idx) const {
    if (!counter_.defined(idx) || !needed_.contains(idx)) return nullptr;
    if (needed_.dense(idx)) return &slots_[slot(idx)];
    auto it = sparse_.find(idx);
    return it == sparse_.end() ? nullptr : &it->second;
  }

 private:
  std::size_t slot(std::uint64_t idx) const {
    const std::size_t word = static_cast<std::size_t>(idx >> 6);
    const std::uint64_t below = needed_.bits()[word] & ((std::uint64_t{1} << (idx & 63)) - 1);
    return rank_[word] + static_cast<std::size_t>(__builtin_popcountll(below));
  }

  MemoCounter counter_;
  IndexSet needed_;
  std::vector<std::size_t> rank_;
  std::vector<Value> slots_;
  std::unordered_map<std::uint64_t, Value> sparse_;
};

// Thrown (internally) when a streaming load GETs a memo entry it did not keep.
struct MemoDropped {};

// The memo of a streaming load (no prescan): keeps every entry that is cheap to keep, drops
// containers and big values; get() throws MemoDropped for a dropped entry.
class StreamMemo {
 public:
  std::uint64_t next() const { return len_; }

  // `consumed`: input bytes read so far; bounds how far the dense table may grow.
  void define(std::uint64_t idx, const Value& v, std::uint64_t consumed) {
    const bool keep = cheap(v);
    if (idx < slots_.size() || idx < 2 * consumed + 65536) {
      if (idx >= slots_.size()) slots_.resize(static_cast<std::size_t>(idx) + 1, kUndefined);
      std::uint32_t& slot = slots_[static_cast<std::size_t>(idx)];
      if (slot == kUndefined) ++len_;
      if (!keep) {
        slot = kDropped;
      } else if (slot >= kFirstKept) {
        kept_[slot - kFirstKept] = v;
      } else if (kept_.size() < kMaxKept) {
        slot = static_cast<std::uint32_t>(kept_.size() + kFirstKept);
        kept_.push_back(v);
      } else {
        slot = kDropped;  // a pathological number of entries: the prescan fallback copes
      }
      return;
    }
    auto it = sparse_.find(idx);
    if (it == sparse_.end()) {
      ++len_;
      it = sparse_.emplace(idx, std::make_pair(Value(), false)).first;
    }
    it->second = keep ? std::make_pair(v, true) : std::make_pair(Value(), false);
  }

  // nullptr when the index was never defined; throws MemoDropped when it was not kept.
  const Value* get(std::uint64_t idx) const {
    if (idx < slots_.size()) {
      const std::uint32_t slot = slots_[static_cast<std::size_t>(idx)];
      if (slot >= kFirstKept) return &kept_[slot - kFirstKept];
      if (slot == kDropped) throw MemoDropped{};
    }
    auto it = sparse_.find(idx);
    if (it == sparse_.end()) return nullptr;
    if (!it->second.second) throw MemoDropped{};
    return &it->second.first;
  }

 private:
  // A dense slot: undefined, dropped, or kFirstKept + the entry's place in kept_ (4 bytes per
  // memo index: official files memoise every container, a third of a million per 1000 archs).
  static constexpr std::uint32_t kUndefined = 0, kDropped = 1, kFirstKept = 2;
  static constexpr std::size_t kMaxKept = 0xffffffffu - kFirstKept;
  static bool cheap(const Value& v) {
    switch (v.type()) {
      case Type::None:
      case Type::Bool:
      case Type::Int:
      case Type::Float:
      case Type::Str:
      case Type::Global:
      case Type::Dtype:
        return true;
      case Type::Bytes:
        return v.as_bytes().size() <= 256;
      case Type::Tuple: {
        // Immutable and small, like the (dataset, seed) keys that writers share between records.
        const auto& items = v.as_tuple();
        return items.size() <= 8 && std::all_of(items.begin(), items.end(), [](const Value& item) {
                 return item.type() != Type::Tuple && cheap(item);
               });
      }
      default:
        return false;
    }
  }

  std::uint64_t len_ = 0;
  std::vector<std::uint32_t> slots_;
  std::vector<Value> kept_;
  std::unordered_map<std::uint64_t, std::pair<Value, bool>> sparse_;
};

// Walks the opcodes without building values and collects the memo indices read by a GET.
// Resumable, for input that arrives a window at a time. Stops quietly at STOP or at the first
// malformed opcode (the main pass reports it there).
class MemoPrescan {
 public:
  explicit MemoPrescan(std::uint64_t limit) : needed_(limit), counter_(limit) {}

  // Scans the complete opcodes at the start of data[0, size) and returns how many bytes they
  // took; sets done() at STOP or a malformed opcode. Stopping short of `size` without done()
  // means the window ends inside an opcode: call again with more bytes after the unscanned ones.
  std::size_t scan(const unsigned char* data, std::size_t size);
  bool done() const { return done_; }

  // For a streaming scan: indices below `limit` go to the bitsets.
  void raise_limit(std::uint64_t limit) {
    needed_.raise_limit(limit);
    counter_.raise_limit(limit);
  }
  IndexSet take_needed() { return std::move(needed_); }

 private:
  IndexSet needed_;
  MemoCounter counter_;
  std::uint64_t skip_ = 0;  // bytes of a long argument still to skip
  bool done_ = false;
};

// The memo indices read by a GET in a whole pickle held in memory.
IndexSet prescan_memo(const unsigned char* data, std::size_t size);

}  // namespace natsbench::pickle::detail
