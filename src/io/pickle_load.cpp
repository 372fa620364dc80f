// pickle::load - a hand-written unpickler for protocols 0-5 (plain data and NumPy only).
//
// Structure: one pass over the opcodes (prescan, pickle_memo.cpp) finds which memo indices a
// later GET reads; the main pass then keeps only those in the memo, so a big file does not hold a
// second reference to every string and container it memoized. The main pass is a switch over the
// opcode byte with a value stack and a mark stack, as in CPython's _pickle.c: values below
// the last MARK are out of reach of every opcode but POP (the "fence").
#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <string>

#include "natsbench/io/pickle.h"
#include "natsbench/util/error.h"
#include "pickle_memo.h"
#include "pickle_node.h"
#include "pickle_opcodes.h"
#include "pickle_wire.h"

namespace natsbench::pickle {

namespace detail {

namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

class Reader {
 public:
  Reader(std::string_view bytes, const LoadOptions& options)
      : data_(reinterpret_cast<const unsigned char*>(bytes.data())),
        size_(bytes.size()),
        options_(options),
        memo_(bytes.size(), prescan_memo(data_, size_)),
        stream_memo_(false) {
    stack_.reserve(64);
  }
  // Streaming: reads the input through `read`, a window at a time.
  Reader(const ReadFn& read, const LoadOptions& options, bool keep_all_memo)
      : data_(nullptr),
        size_(0),
        options_(options),
        memo_(0, IndexSet(0)),
        read_(&read),
        stream_memo_(keep_all_memo) {
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
  StreamMemo stream_memo_;

  std::uint64_t memo_next() const { return read_ ? stream_memo_.next() : memo_.next(); }
  void memo_define(std::uint64_t idx, const Value& v) {
    if (read_) {
      stream_memo_.define(idx, v, base_ + pos_);
    } else {
      memo_.define(idx, v);
    }
  }
  const Value* memo_get(std::uint64_t idx) const {
    return read_ ? stream_memo_.get(idx) : memo_.get(idx);
  }
};

void Reader::set_items(Value& target, std::size_t from) {
  const std::size_t count = stack_.size() - from;
  if (count % 2 != 0) fail("odd number of items for " + std::string(op_name(op_)));
  auto* n = mutable_node<DictNode>(target, Type::Dict, op_name(op_));
  auto& items = n->dict.items;
  const std::size_t need = items.size() + count / 2;
  if (items.capacity() < need) items.reserve(std::max(need, items.capacity() * 2));
  for (std::size_t i = from; i < stack_.size(); i += 2) {
    depth_add(n, std::max(depth_of(stack_[i]), depth_of(stack_[i + 1])));
    items.emplace_back(std::move(stack_[i]), std::move(stack_[i + 1]));
  }
  stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(from), stack_.end());
}

void Reader::append_items(Value& target, std::size_t from, Type expected, std::string_view what) {
  auto* n = mutable_node<SeqNode>(target, expected, what);
  auto& items = n->items;
  const std::size_t need = items.size() + (stack_.size() - from);
  if (items.capacity() < need) items.reserve(std::max(need, items.capacity() * 2));
  for (std::size_t i = from; i < stack_.size(); ++i) {
    depth_add(n, depth_of(stack_[i]));
    items.push_back(std::move(stack_[i]));
  }
  stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(from), stack_.end());
}

// Little-endian two's complement of n bytes (LONG1/LONG4); must fit int64.
Value Reader::long_value(const unsigned char* p, std::size_t n) {
  if (n == 0) return Value::integer(0);
  const bool negative = (p[n - 1] & 0x80) != 0;
  const unsigned char extension = negative ? 0xFF : 0x00;
  for (std::size_t i = 8; i < n; ++i) {
    if (p[i] != extension)
      fail("integer does not fit in 64 bits (" + std::to_string(n) + " bytes)");
  }
  if (n > 8 && ((p[7] & 0x80) != 0) != negative) {
    fail("integer does not fit in 64 bits (" + std::to_string(n) + " bytes)");
  }
  std::uint64_t v = negative ? ~std::uint64_t{0} : 0;
  const std::size_t used = std::min<std::size_t>(n, 8);
  for (std::size_t i = 0; i < used; ++i) {
    v &= ~(std::uint64_t{0xFF} << (8 * i));
    v |= std::uint64_t{p[i]} << (8 * i);
  }
  return Value::integer(static_cast<std::int64_t>(v));
}

Value Reader::int_text(std::string_view s, bool is_long) {
  if (!is_long) {
    if (s == "01") return Value::boolean(true);
    if (s == "00") return Value::boolean(false);
  }
  if (is_long && !s.empty() && s.back() == 'L') s.remove_suffix(1);
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  std::int64_t v = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, v);
  if (ec == std::errc::result_out_of_range) fail("integer does not fit in 64 bits");
  if (ec != std::errc() || ptr != end || digits.empty()) {
    fail("invalid integer literal '" + std::string(s.substr(0, 40)) + "'");
  }
  return Value::integer(v);
}

Value Reader::float_text(std::string_view s) {
  double d = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, d);
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports overflow/underflow; Python gives inf / a denormal or 0.
    d = std::strtod(std::string(s).c_str(), nullptr);
  } else if (ec != std::errc() || ptr != end || s.empty()) {
    fail("invalid float literal '" + std::string(s.substr(0, 40)) + "'");
  }
  return Value::floating(d);
}

// STRING: a quoted Python-2 str literal with backslash escapes -> bytes.
Value Reader::string_text(std::string_view s) {
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front()) {
    fail("the STRING opcode argument must be quoted");
  }
  s = s.substr(1, s.size() - 2);
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) fail("trailing backslash in STRING");
    const char e = s[i];
    switch (e) {
      case '\n':
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        if (i + 2 >= s.size()) fail("invalid \\x escape in STRING");
        const int h = hex(s[i + 1]), l = hex(s[i + 2]);
        if (h < 0 || l < 0) fail("invalid \\x escape in STRING");
        out += static_cast<char>(h * 16 + l);
        i += 2;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0';
          for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
            v = v * 8 + (s[++i] - '0');
          out += static_cast<char>(v & 0xFF);
        } else {
          out += '\\';
          out += e;
        }
    }
  }
  return Value::bytes(out);
}

// UNICODE: raw-unicode-escape (\uXXXX, \UXXXXXXXX after an odd run of backslashes; every
// other byte is a Latin-1 code point) -> UTF-8.
Value Reader::unicode_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c != '\\') {
      append_utf8(out, c);
      ++i;
      continue;
    }
    std::size_t run = 0;
    while (i < s.size() && s[i] == '\\') {
      ++run;
      ++i;
    }
    const bool escape = (run % 2 == 1) && i < s.size() && (s[i] == 'u' || s[i] == 'U');
    out.append(escape ? run - 1 : run, '\\');
    if (!escape) continue;
    const std::size_t digits = s[i] == 'u' ? 4 : 8;
    ++i;
    if (s.size() - i < digits) fail("truncated \\u escape in UNICODE");
    std::uint32_t cp = 0;
    for (std::size_t k = 0; k < digits; ++k) {
      const char h = s[i + k];
      int v = -1;
      if (h >= '0' && h <= '9') v = h - '0';
      if (h >= 'a' && h <= 'f') v = h - 'a' + 10;
      if (h >= 'A' && h <= 'F') v = h - 'A' + 10;
      if (v < 0) fail("invalid \\u escape in UNICODE");
      cp = cp * 16 + static_cast<std::uint32_t>(v);
    }
    if (cp > 0x10FFFF) fail("\\U escape out of range in UNICODE");
    append_utf8(out, cp);
    i += digits;
  }
  return Value::str(out);
}

Value Reader::global(std::string_view module, std::string_view name) {
  if (!valid_utf8(reinterpret_cast<const unsigned char*>(module.data()), module.size()) ||
      !valid_utf8(reinterpret_cast<const unsigned char*>(name.data()), name.size())) {
    fail("invalid UTF-8 in global name");
  }
  std::string_view m = module;
  if (m == "__builtin__") m = "builtins";
  if (m == "numpy._core.multiarray") m = "numpy.core.multiarray";
  if (m == "numpy._core.numeric") m = "numpy.core.numeric";
  struct Known {
    std::string_view module, name;
    GlobalId id;
  };
  static constexpr Known kKnown[] = {
      {"collections", "OrderedDict", GlobalId::OrderedDict},
      {"numpy.core.multiarray", "scalar", GlobalId::NumpyScalar},
      {"numpy", "dtype", GlobalId::NumpyDtype},
      {"numpy.core.multiarray", "_reconstruct", GlobalId::NumpyReconstruct},
      {"numpy", "ndarray", GlobalId::NumpyNdarray},
      {"numpy.core.numeric", "_frombuffer", GlobalId::NumpyFromBuffer},
      {"builtins", "set", GlobalId::Set},
      {"builtins", "frozenset", GlobalId::FrozenSet},
      {"_codecs", "encode", GlobalId::CodecsEncode},
      {"builtins", "bytes", GlobalId::Bytes},
      {"builtins", "bytearray", GlobalId::ByteArray},
  };
  for (const auto& k : kKnown) {
    if (k.module == m && k.name == name) return Value::global(k.id);
  }
  auto shown = [](std::string_view s) { return std::string(s.substr(0, 100)); };
  fail("unsupported global '" + shown(module) + "." + shown(name) + "'");
}

std::string Reader::encode_text(const Value& text, std::string_view encoding, const char* who) {
  if (!text.is(Type::Str)) {
    fail(std::string(who) + " expects a str, got " + std::string(type_name(text.type())));
  }
  const std::string_view s = text.as_str();
  std::string enc;
  for (char c : encoding) enc += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  std::replace(enc.begin(), enc.end(), '_', '-');
  if (enc == "utf-8" || enc == "utf8") return std::string(s);
  if (enc != "latin1" && enc != "latin-1" && enc != "iso-8859-1" && enc != "iso8859-1" &&
      enc != "l1") {
    fail(std::string(who) + ": unsupported encoding '" + std::string(encoding.substr(0, 40)) + "'");
  }
  // Decode UTF-8 (already validated) to code points; each must be a byte value.
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      const std::uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      if (cp > 0xFF) fail(std::string(who) + ": character beyond latin-1");
      out += static_cast<char>(cp);
      i += 2;
    } else {
      fail(std::string(who) + ": character beyond latin-1");
    }
  }
  return out;
}

// The typestr of numpy.dtype(arg, ...): "f8" -> "<f8" (native order until BUILD sets it).
std::string Reader::dtype_typestr(const Value& arg) {
  std::string_view s;
  if (arg.is(Type::Str)) {
    s = arg.as_str();
  } else if (arg.is(Type::Bytes)) {
    s = arg.as_bytes();
  } else {
    fail("numpy.dtype expects a str, got " + std::string(type_name(arg.type())));
  }
  Typestr t;
  try {
    t = parse_typestr(s);
  } catch (const Error& e) {
    fail(std::string(e.what()).substr(8));  // drop the "pickle: " prefix
  }
  const char order = t.order == '=' ? '<' : t.order;
  return order + std::string(1, t.kind) + std::to_string(t.itemsize);
}

std::vector<std::int64_t> Reader::shape_of(const Value& v, const char* who) {
  if (!v.is(Type::Tuple) && !v.is(Type::List)) {
    fail(std::string(who) + ": shape must be a tuple, got " + std::string(type_name(v.type())));
  }
  std::vector<std::int64_t> shape;
  for (const Value& d : v.as_sequence()) {
    if (!d.is(Type::Int) || d.as_int() < 0) fail(std::string(who) + ": invalid shape");
    shape.push_back(d.as_int());
  }
  return shape;
}

void Reader::check_array_size(const NumpyArray& a, std::size_t data_size) {
  const Typestr t = parse_typestr(a.dtype);
  if (t.kind != 'b' && t.kind != 'i' && t.kind != 'u' && t.kind != 'f' && t.kind != 'c') return;
  std::uint64_t count = t.itemsize;
  for (std::int64_t d : a.shape) {
    if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(d), &count)) {
      fail("numpy array shape too large");
    }
  }
  if (count != data_size) {
    fail("numpy array of dtype '" + a.dtype + "' and " + std::to_string(a.shape.size()) +
         "-d shape needs " + std::to_string(count) + " data bytes, got " +
         std::to_string(data_size));
  }
}

void Reader::set_array_data(NumpyArray& a, std::string_view data) {
  check_array_size(a, data.size());
  if (options_.on_array_data && options_.on_array_data(a, data)) return;
  a.data = std::string(data);
}

Value Reader::reduce(const Value& callable, const Value& args_value) {
  if (!callable.is(Type::Global)) {
    fail("REDUCE callable is " + std::string(type_name(callable.type())) + ", expected a global");
  }
  if (!args_value.is(Type::Tuple)) {
    fail("REDUCE arguments must be a tuple, got " + std::string(type_name(args_value.type())));
  }
  const std::vector<Value>& args = args_value.as_tuple();
  const GlobalId id = callable.as_global();
  const std::string who =
      std::string(global_module(id)) + "." + std::string(global_name(id)) + "()";
  const std::string bad_args = "unsupported arguments for " + who;
  switch (id) {
    case GlobalId::OrderedDict: {
      Value d = new_dict(true);
      if (args.empty()) return d;
      if (args.size() != 1 || (!args[0].is(Type::List) && !args[0].is(Type::Tuple))) fail(bad_args);
      auto* n = static_cast<DictNode*>(d.node());
      for (const Value& pair : args[0].as_sequence()) {
        if ((!pair.is(Type::List) && !pair.is(Type::Tuple)) || pair.as_sequence().size() != 2) {
          fail(bad_args);
        }
        const auto& kv = pair.as_sequence();
        depth_add(n, std::max(depth_of(kv[0]), depth_of(kv[1])));
        n->dict.items.emplace_back(kv[0], kv[1]);
      }
      return d;
    }
    case GlobalId::NumpyScalar: {
      if (args.size() != 2 || !args[0].is(Type::Dtype)) fail(bad_args);
      if (!args[1].is(Type::Bytes))
        fail(who + ": only numeric scalars (bytes payload) are supported");
      NumpyScalar s;
      s.dtype = std::string(args[0].as_dtype());
      s.data = std::string(args[1].as_bytes());
      const Typestr t = parse_typestr(s.dtype);
      const bool numeric =
          t.kind == 'b' || t.kind == 'i' || t.kind == 'u' || t.kind == 'f' || t.kind == 'c';
      if (numeric && s.data.size() != t.itemsize) {
        fail(who + ": dtype '" + s.dtype + "' needs " + std::to_string(t.itemsize) +
             " payload bytes, got " + std::to_string(s.data.size()));
      }
      return Value::numpy_scalar(std::move(s));
    }
    case GlobalId::NumpyDtype: {
      if (args.empty() || args.size() > 3) fail(bad_args);
      for (std::size_t i = 1; i < args.size(); ++i) {
        if (!args[i].is(Type::Int) && !args[i].is(Type::Bool)) fail(bad_args);
      }
      return Value::dtype(dtype_typestr(args[0]));
    }
    case GlobalId::NumpyReconstruct: {
      if (args.size() != 3 || !args[0].is(Type::Global) ||
          args[0].as_global() != GlobalId::NumpyNdarray) {
        fail(bad_args);
      }
      NumpyArray a;
      a.shape = shape_of(args[1], "numpy _reconstruct");
      if (std::find(a.shape.begin(), a.shape.end(), 0) == a.shape.end()) {
        fail(who + ": only an empty initial shape is supported");
      }
      a.dtype = "|i1";  // numpy writes typecode b'b'; BUILD sets the real dtype
      return Value::numpy_array(std::move(a));
    }
    case GlobalId::NumpyFromBuffer: {
      if (args.size() != 4 || !args[0].is(Type::Bytes) || !args[1].is(Type::Dtype)) fail(bad_args);
      NumpyArray a;
      a.dtype = std::string(args[1].as_dtype());
      a.shape = shape_of(args[2], "numpy _frombuffer");
      std::string_view order;
      if (args[3].is(Type::Str)) order = args[3].as_str();
      if (args[3].is(Type::Bytes)) order = args[3].as_bytes();
      if (order != "C" && order != "F") fail(bad_args);
      a.fortran_order = order == "F";
      set_array_data(a, args[0].as_bytes());
      return Value::numpy_array(std::move(a));
    }
    case GlobalId::Set:
    case GlobalId::FrozenSet: {
      Value s = new_seq(Type::Set);
      if (args.empty()) return s;
      const Type t = args[0].type();
      if (args.size() != 1 || (t != Type::List && t != Type::Tuple && t != Type::Set))
        fail(bad_args);
      auto* n = static_cast<SeqNode*>(s.node());
      n->items = args[0].as_sequence();
      for (const Value& item : n->items) depth_add(n, depth_of(item));
      return s;
    }
    case GlobalId::CodecsEncode: {
      if (args.empty() || args.size() > 2) fail(bad_args);
      std::string_view encoding = "utf-8";
      if (args.size() == 2) {
        if (!args[1].is(Type::Str)) fail(bad_args);
        encoding = args[1].as_str();
      }
      return Value::bytes(encode_text(args[0], encoding, who.c_str()));
    }
    case GlobalId::Bytes:
    case GlobalId::ByteArray: {
      if (args.empty()) return Value::bytes("");
      if (args.size() == 1 && args[0].is(Type::Bytes)) return args[0];
      if (args.size() == 2 && args[1].is(Type::Str)) {
        return Value::bytes(encode_text(args[0], args[1].as_str(), who.c_str()));
      }
      fail(bad_args);
    }
    case GlobalId::NumpyNdarray:
      break;
  }
  fail(who + " cannot be called");
}

void Reader::build(Value& inst, const Value& state) {
  switch (inst.type()) {
    case Type::Dict:
      if (inst.as_dict().ordered) return;  // instance attributes of an OrderedDict: ignored
      break;
    case Type::Dtype: {
      if (!state.is(Type::Tuple) || state.as_tuple().size() < 2) {
        fail("unsupported numpy dtype state");
      }
      const Value& order_value = state.as_tuple()[1];  // str, or bytes in Python-2 files
      if (!order_value.is(Type::Str) && !order_value.is(Type::Bytes)) {
        fail("unsupported numpy dtype state");
      }
      const std::string_view order =
          order_value.is(Type::Str) ? order_value.as_str() : order_value.as_bytes();
      if (order.size() != 1 || std::string_view("<>|=").find(order[0]) == std::string_view::npos) {
        fail("invalid byte order in numpy dtype state");
      }
      auto* n = static_cast<StrNode*>(inst.node());
      if (n->shared) fail("numpy dtype modified after GET/DUP shared it");
      n->chars()[0] = order[0] == '=' ? '<' : order[0];  // typestr always starts with the order
      return;
    }
    case Type::NumpyArray: {
      if (!state.is(Type::Tuple)) fail("numpy array state must be a tuple");
      const auto& st = state.as_tuple();
      if (st.size() != 4 && st.size() != 5) fail("unsupported numpy array state");
      const std::size_t o = st.size() == 5 ? 1 : 0;
      if (!st[o + 1].is(Type::Dtype)) fail("numpy array state: dtype expected");
      if (!st[o + 2].is(Type::Bool) && !st[o + 2].is(Type::Int)) {
        fail("numpy array state: Fortran flag expected");
      }
      NumpyArray a;
      a.shape = shape_of(st[o], "numpy array state");
      a.dtype = std::string(st[o + 1].as_dtype());
      a.fortran_order = st[o + 2].is(Type::Bool) ? st[o + 2].as_bool() : st[o + 2].as_int() != 0;
      if (st[o + 3].is(Type::Bytes)) {
        set_array_data(a, st[o + 3].as_bytes());
      } else if (st[o + 3].is(Type::Str)) {
        set_array_data(a, encode_text(st[o + 3], "latin1", "numpy array state"));
      } else {
        fail("numpy array state: only raw data (bytes) is supported, got " +
             std::string(type_name(st[o + 3].type())));
      }
      auto* n = static_cast<ArrayNode*>(inst.node());
      if (n->shared) fail("numpy array modified after GET/DUP shared it");
      n->array = std::move(a);
      return;
    }
    default:
      break;
  }
  fail("BUILD on " + std::string(type_name(inst.type())) + " is not supported");
}

Value Reader::run() {
  for (;;) {
    if (pos_ >= size_ && !fill(1)) {
      op_pos_ = base_ + pos_;
      op_ = 0;
      throw Error("pickle: truncated input: no STOP opcode before the end (" +
                  std::to_string(base_ + size_) + " bytes)");
    }
    op_pos_ = base_ + pos_;
    op_ = data_[pos_++];
    switch (op_) {
      // ---- framing and protocol
      case op::PROTO: {
        const unsigned proto = *take(1);
        if (proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
        break;
      }
      case op::FRAME: {
        const std::uint64_t n = le64(take(8));
        if (read_ == nullptr) take_length(n);  // streaming ignores frame boundaries (spec §2.4)
        break;
      }
      case op::STOP:
        return pop();

      // ---- stack manipulation
      case op::MARK:
        marks_.push_back(stack_.size());
        break;
      case op::POP:
        if (!marks_.empty() && marks_.back() == stack_.size()) {
          marks_.pop_back();
        } else {
          pop();
        }
        break;
      case op::POP_MARK: {
        const std::size_t m = pop_mark();
        stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
        break;
      }
      case op::DUP: {
        Value copy = top();
        mark_shared(copy);
        push(std::move(copy));
        break;
      }

      // ---- memo
      case op::MEMOIZE:
        memo_define(memo_next(), top());
        break;
      case op::BINPUT: {
        const std::uint64_t idx = *take(1);
        memo_define(idx, top());
        break;
      }
      case op::LONG_BINPUT: {
        const std::uint64_t idx = le32(take(4));
        memo_define(idx, top());
        break;
      }
      case op::PUT: {
        std::uint64_t idx = 0;
        const std::string_view line = take_line();
        if (!parse_index(line, idx)) fail("invalid PUT index");
        memo_define(idx, top());
        break;
      }
      case op::BINGET:
      case op::LONG_BINGET:
      case op::GET: {
        std::uint64_t idx = 0;
        if (op_ == op::BINGET) {
          idx = *take(1);
        } else if (op_ == op::LONG_BINGET) {
          idx = le32(take(4));
        } else if (!parse_index(take_line(), idx)) {
          fail("invalid GET index");
        }
        const Value* v = memo_get(idx);
        if (!v) fail("memo index " + std::to_string(idx) + " not defined");
        mark_shared(*v);
        push(*v);
        break;
      }

      // ---- scalars
      case op::NONE:
        push(Value());
        break;
      case op::NEWTRUE:
        push(Value::boolean(true));
        break;
      case op::NEWFALSE:
        push(Value::boolean(false));
        break;
      case op::BININT1:
        push(Value::integer(*take(1)));
        break;
      case op::BININT2:
        push(Value::integer(le16(take(2))));
        break;
      case op::BININT:
        push(Value::integer(static_cast<std::int32_t>(le32(take(4)))));
        break;
      case op::LONG1: {
        const std::size_t n = *take(1);
        push(long_value(take(n), n));
        break;
      }
      case op::LONG4: {
        const auto n = static_cast<std::int32_t>(le32(take(4)));
        if (n < 0) fail("negative byte count");
        const std::size_t len = take_length(static_cast<std::uint64_t>(n));
        push(long_value(take(len), len));
        break;
      }
      case op::INT:
        push(int_text(take_line(), false));
        break;
      case op::LONG:
        push(int_text(take_line(), true));
        break;
      case op::BINFLOAT:
        push(Value::floating(be_double(take(8))));
        break;
      case op::FLOAT:
        push(float_text(take_line()));
        break;

      // ---- strings and bytes
      case op::SHORT_BINUNICODE: {
        const std::size_t n = *take(1);
        push(str_value(take_chars(n)));
        break;
      }
      case op::BINUNICODE: {
        const std::size_t n = take_length(le32(take(4)));
        push(str_value(take_chars(n)));
        break;
      }
      case op::BINUNICODE8: {
        const std::size_t n = take_length(le64(take(8)));
        push(str_value(take_chars(n)));
        break;
      }
      case op::UNICODE:
        push(unicode_text(take_line()));
        break;
      case op::SHORT_BINBYTES:
      case op::SHORT_BINSTRING: {
        const std::size_t n = *take(1);
        push(Value::bytes(take_chars(n)));
        break;
      }
      case op::BINBYTES: {
        const std::size_t n = take_length(le32(take(4)));
        push(Value::bytes(take_chars(n)));
        break;
      }
      case op::BINSTRING: {
        const auto n = static_cast<std::int32_t>(le32(take(4)));
        if (n < 0) fail("negative BINSTRING length");
        const std::size_t len = take_length(static_cast<std::uint64_t>(n));
        push(Value::bytes(take_chars(len)));
        break;
      }
      case op::BINBYTES8:
      case op::BYTEARRAY8: {
        const std::size_t n = take_length(le64(take(8)));
        push(Value::bytes(take_chars(n)));
        break;
      }
      case op::STRING:
        push(string_text(take_line()));
        break;

      // ---- tuples
      case op::EMPTY_TUPLE:
        push(Value::tuple());
        break;
      case op::TUPLE1:
      case op::TUPLE2:
      case op::TUPLE3: {
        const std::size_t n = static_cast<std::size_t>(op_ - op::TUPLE1 + 1);
        if (stack_.size() < fence() + n) fail("stack underflow");
        push(make_seq(Type::Tuple, stack_.size() - n));
        break;
      }
      case op::TUPLE: {
        const std::size_t m = pop_mark();
        push(make_seq(Type::Tuple, m));
        break;
      }

      // ---- lists
      case op::EMPTY_LIST:
        push(new_seq(Type::List));
        break;
      case op::LIST: {
        const std::size_t m = pop_mark();
        push(make_seq(Type::List, m));
        break;
      }
      case op::APPEND: {
        if (stack_.size() < fence() + 2) fail("stack underflow");
        append_items(stack_[stack_.size() - 2], stack_.size() - 1, Type::List, "APPEND");
        break;
      }
      case op::APPENDS: {
        const std::size_t m = pop_mark_with_target();
        if (m == stack_.size()) break;  // nothing to append
        append_items(stack_[m - 1], m, Type::List, "APPENDS");
        break;
      }

      // ---- dicts
      case op::EMPTY_DICT:
        push(new_dict(false));
        break;
      case op::DICT: {
        const std::size_t m = pop_mark();
        if ((stack_.size() - m) % 2 != 0) fail("odd number of items for DICT");
        Value d = new_dict(false);
        set_items(d, m);
        push(std::move(d));
        call_on_dict();
        break;
      }
      case op::SETITEM: {
        if (stack_.size() < fence() + 3) fail("stack underflow");
        set_items(stack_[stack_.size() - 3], stack_.size() - 2);
        call_on_dict();
        break;
      }
      case op::SETITEMS: {
        const std::size_t m = pop_mark_with_target();
        if (m == stack_.size()) break;  // nothing to add
        set_items(stack_[m - 1], m);
        call_on_dict();
        break;
      }

      // ---- sets
      case op::EMPTY_SET:
        push(new_seq(Type::Set));
        break;
      case op::ADDITEMS: {
        const std::size_t m = pop_mark_with_target();
        if (m == stack_.size()) break;
        append_items(stack_[m - 1], m, Type::Set, "ADDITEMS");
        break;
      }
      case op::FROZENSET: {
        const std::size_t m = pop_mark();
        push(make_seq(Type::Set, m));
        break;
      }

      // ---- globals and objects
      case op::GLOBAL: {
        const std::string module(take_line());  // the next take_line may move the window
        const std::string_view name = take_line();
        push(global(module, name));
        break;
      }
      case op::STACK_GLOBAL: {
        Value name = pop();
        Value module = pop();
        if (!module.is(Type::Str) || !name.is(Type::Str)) fail("STACK_GLOBAL requires two str");
        push(global(module.as_str(), name.as_str()));
        break;
      }
      case op::REDUCE: {
        Value args = pop();
        Value& callable = top();
        callable = reduce(callable, args);
        break;
      }
      case op::BUILD: {
        Value state = pop();
        build(top(), state);
        break;
      }

      case op::NEWOBJ:
      case op::NEWOBJ_EX:
      case op::INST:
      case op::OBJ:
      case op::EXT1:
      case op::EXT2:
      case op::EXT4:
      case op::PERSID:
      case op::BINPERSID:
      case op::NEXT_BUFFER:
      case op::READONLY_BUFFER:
        fail("unsupported opcode " + std::string(op_name(op_)));

      default: {
        static const char* hex = "0123456789abcdef";
        const std::string code = {'0', 'x', hex[op_ >> 4], hex[op_ & 15]};
        throw Error("pickle: unknown opcode " + code + " at byte offset " +
                    std::to_string(op_pos_));
      }
    }
  }
}

}  // namespace detail

Value load(std::string_view bytes, const LoadOptions& options) {
  if (bytes.empty()) throw Error("pickle: empty input");
  detail::Reader reader(bytes, options);
  return reader.run();
}

Value load_stream(const std::function<ReadFn()>& open, const LoadOptions& options) {
  {
    const ReadFn read = open();
    try {
      detail::Reader reader(read, options, false);
      return reader.run();
    } catch (const detail::MemoDropped&) {
      // A GET of a container: read again, keeping the whole memo.
    }
  }
  const ReadFn read = open();
  detail::Reader reader(read, options, true);
  return reader.run();
}

}  // namespace natsbench::pickle
