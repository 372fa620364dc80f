#pragma once
// The unpickler's state machine (private to src/io): input window, value and mark stacks, memo.
// Its members are defined by concern: the opcode loop and the containers in pickle_load.cpp,
// number and string literals in pickle_literals.cpp, globals, REDUCE and BUILD (the accepted
// classes, NumPy) in pickle_globals.cpp.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "natsbench/io/pickle.h"
#include "natsbench/util/error.h"
#include "pickle_memo.h"
#include "pickle_node.h"
#include "pickle_opcodes.h"
#include "pickle_wire.h"

namespace natsbench::pickle::detail {

class Reader {
 public:
  Reader(std::string_view bytes, const LoadOptions& options)
      : data_(reinterpret_cast<const unsigned char*>(bytes.data())),
        size_(bytes.size()),
        options_(options),
        memo_(bytes.size(), prescan_memo(data_, size_)) {
    stack_.reserve(64);
  }
  // Streaming: reads the input through `read`, a window at a time, keeping the cheap memo
  // entries (StreamMemo: a GET of a dropped one throws MemoDropped).
  Reader(const ReadFn& read, const LoadOptions& options)
      : data_(nullptr), size_(0), options_(options), memo_(0, IndexSet(0)), read_(&read) {
    stack_.reserve(64);
  }
  // Streaming, keeping exactly the memo entries in `needed` (from a MemoPrescan of the same
  // input, `limit` bytes long).
  Reader(const ReadFn& read, const LoadOptions& options, std::uint64_t limit, IndexSet needed)
      : data_(nullptr),
        size_(0),
        options_(options),
        memo_(limit, std::move(needed)),
        read_(&read),
        prescanned_(true) {
    stack_.reserve(64);
  }

  Value run();

 private:
  // ---- errors
  [[noreturn]] void fail(const std::string& what) const {
    const std::string_view name = op_name(op_);
    throw Error("pickle: " + what + " (" + std::string(name.empty() ? "opcode" : name) +
                " at byte offset " + std::to_string(op_pos_) + ")");
  }

  // ---- input
  // Streaming: makes at least `need` unread bytes available (moving the unread bytes to the
  // front of the window, which invalidates earlier pointers into it); false at the end of the
  // input. Always false when loading from a buffer.
  bool fill(std::size_t need) {
    if (read_ == nullptr) return false;
    if (pos_ > 0) {
      const std::size_t rest = size_ - pos_;
      if (rest > 0) std::memmove(buf_.data(), buf_.data() + pos_, rest);
      base_ += pos_;
      size_ = rest;
      pos_ = 0;
    }
    constexpr std::size_t kChunk = std::size_t{1} << 18;
    while (size_ < need && !eof_) {
      if (buf_.size() - size_ < kChunk / 4) buf_.resize(std::max(buf_.size() * 2, kChunk));
      const std::size_t got = (*read_)(buf_.data() + size_, buf_.size() - size_);
      if (got == 0) {
        eof_ = true;
      } else {
        size_ += std::min(got, buf_.size() - size_);
      }
    }
    data_ = reinterpret_cast<const unsigned char*>(buf_.data());
    return size_ >= need;
  }
  const unsigned char* take(std::size_t n) {
    if (n > size_ - pos_ && !fill(n)) {
      fail("truncated input: needs " + std::to_string(n) + " more bytes, " +
           std::to_string(size_ - pos_) + " left");
    }
    const unsigned char* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  std::size_t take_length(std::uint64_t n) {
    if (n > size_ - pos_ &&
        (n > std::numeric_limits<std::size_t>::max() / 2 || !fill(static_cast<std::size_t>(n)))) {
      fail("length " + std::to_string(n) + " exceeds the " + std::to_string(size_ - pos_) +
           " bytes left");
    }
    return static_cast<std::size_t>(n);
  }
  std::string_view take_line() {
    const void* nl = size_ > pos_ ? std::memchr(data_ + pos_, '\n', size_ - pos_) : nullptr;
    while (!nl) {
      const std::size_t scanned = size_ - pos_;
      if (!fill(scanned + 1)) fail("truncated input: missing end of line");
      nl = std::memchr(data_ + pos_ + scanned, '\n', size_ - pos_ - scanned);
    }
    const auto end = static_cast<std::size_t>(static_cast<const unsigned char*>(nl) - data_);
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), end - pos_);
    pos_ = end + 1;
    return s;
  }
  std::string_view take_chars(std::size_t n) { return {reinterpret_cast<const char*>(take(n)), n}; }

  // ---- stack
  std::size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(Value v) { stack_.push_back(std::move(v)); }
  Value pop() {
    if (stack_.size() <= fence()) fail("stack underflow");
    Value v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  Value& top() {
    if (stack_.size() <= fence()) fail("stack underflow");
    return stack_.back();
  }
  std::size_t pop_mark() {
    if (marks_.empty()) fail("MARK not found");
    const std::size_t m = marks_.back();
    marks_.pop_back();
    return m;
  }
  // For APPENDS/SETITEMS/ADDITEMS: pops the mark, returns it; the target is stack_[mark-1].
  std::size_t pop_mark_with_target() {
    const std::size_t m = pop_mark();
    if (m == 0 || m - 1 < fence()) fail("stack underflow: no target below MARK");
    return m;
  }

  // ---- values
  void depth_add(Node* n, std::uint32_t child_depth) {
    if (child_depth + 1 > n->depth) {
      if (child_depth + 1 > kMaxDepth) {
        fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
      }
      n->depth = child_depth + 1;
    }
  }
  Value make_seq(Type t, std::size_t from) {
    auto* n = new SeqNode();
    Value v = Value::adopt(t, n);
    n->depth = 1;
    n->items.reserve(stack_.size() - from);
    for (std::size_t i = from; i < stack_.size(); ++i) {
      depth_add(n, depth_of(stack_[i]));
      n->items.push_back(std::move(stack_[i]));
    }
    stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(from), stack_.end());
    return v;
  }
  Value new_dict(bool ordered) {
    auto* n = new DictNode();
    n->depth = 1;
    n->dict.ordered = ordered;
    return Value::adopt(Type::Dict, n);
  }
  Value new_seq(Type t) {
    auto* n = new SeqNode();
    n->depth = 1;
    return Value::adopt(t, n);
  }
  template <class T>
  T* mutable_node(Value& target, Type expected, std::string_view what) {
    if (target.type() != expected) {
      fail(std::string(what) + " target is " + std::string(type_name(target.type())) +
           ", expected " + std::string(type_name(expected)));
    }
    Node* n = target.node();
    if (n->shared) {
      fail(std::string(type_name(expected)) +
           " modified after GET/DUP shared it (recursive structures are not supported)");
    }
    return static_cast<T*>(n);
  }
  void set_items(Value& target, std::size_t from);
  void append_items(Value& target, std::size_t from, Type expected, std::string_view what);
  void mark_shared(const Value& v) {
    if (v.is_heap()) v.node()->shared = true;
  }
  void call_on_dict() {
    if (options_.on_dict && stack_.back().is(Type::Dict)) options_.on_dict(stack_.back());
  }

  Value str_value(std::string_view s) {
    if (!valid_utf8(reinterpret_cast<const unsigned char*>(s.data()), s.size())) {
      fail("invalid UTF-8 in string");
    }
    return Value::str(s);
  }
  Value long_value(const unsigned char* p, std::size_t n);
  Value int_text(std::string_view s, bool is_long);
  Value float_text(std::string_view s);
  Value string_text(std::string_view s);
  Value unicode_text(std::string_view s);
  Value global(std::string_view module, std::string_view name);
  Value reduce(const Value& callable, const Value& args);
  void build(Value& inst, const Value& state);
  std::string encode_text(const Value& text, std::string_view encoding, const char* who);
  std::string dtype_typestr(const Value& arg);
  std::vector<std::int64_t> shape_of(const Value& v, const char* who);
  void check_array_size(const NumpyArray& a, std::size_t data_size);
  void set_array_data(NumpyArray& a, std::string_view data);

  const unsigned char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::size_t op_pos_ = 0;
  unsigned char op_ = 0;
  const LoadOptions& options_;
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  Memo memo_;
  // Streaming only.
  const ReadFn* read_ = nullptr;
  std::vector<char> buf_;
  std::uint64_t base_ = 0;  // input offset of data_[0]
  bool eof_ = false;
  bool prescanned_ = false;  // streaming with the exact memo_ rather than stream_memo_
  StreamMemo stream_memo_;

  bool use_stream_memo() const { return read_ != nullptr && !prescanned_; }
  std::uint64_t memo_next() const { return use_stream_memo() ? stream_memo_.next() : memo_.next(); }
  void memo_define(std::uint64_t idx, const Value& v) {
    if (use_stream_memo()) {
      stream_memo_.define(idx, v, base_ + pos_);
    } else {
      memo_.define(idx, v);
    }
  }
  const Value* memo_get(std::uint64_t idx) const {
    return use_stream_memo() ? stream_memo_.get(idx) : memo_.get(idx);
  }
};

}  // namespace natsbench::pickle::detail
