// pickle::dump - protocol-4 writer (docs/archive-format.md §2.6): Profile A for plain values, plus
// the collections.OrderedDict and NumPy pieces of Profile B.
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "natsbench/io/pickle.h"
#include "natsbench/util/error.h"
#include "pickle_opcodes.h"

namespace natsbench::pickle {

namespace {

namespace op = detail::op;

constexpr std::size_t kBatch = 1000;  // items per APPENDS / SETITEMS / ADDITEMS, as CPython

class Writer {
 public:
  explicit Writer(const DumpOptions& options)
      : minimal_(options.profile == Profile::Minimal), python2_(options.python2) {
    global_memo_.fill(-1);
  }

  std::string run(const Value& v) {
    out_.reserve(256);
    proto();
    value(v, 0);
    byte(op::STOP);
    return std::move(out_);
  }

  void proto() {
    byte(op::PROTO);
    byte(python2_ ? 2 : 4);
  }
  void byte(unsigned char c) { out_.push_back(static_cast<char>(c)); }
  std::string& out() { return out_; }

 private:
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) byte(static_cast<unsigned char>((v >> (8 * i)) & 0xFF));
  }

  std::int64_t memoize() {
    if (python2_) {  // MEMOIZE is protocol 4
      if (memo_next_ < 256) {
        byte(op::BINPUT);
        byte(static_cast<unsigned char>(memo_next_));
      } else {
        byte(op::LONG_BINPUT);
        le(static_cast<std::uint64_t>(memo_next_), 4);
      }
      return memo_next_++;
    }
    byte(op::MEMOIZE);
    return memo_next_++;
  }
  void get(std::int64_t idx) {
    if (idx < 256) {
      byte(op::BINGET);
      byte(static_cast<unsigned char>(idx));
    } else {
      byte(op::LONG_BINGET);
      le(static_cast<std::uint64_t>(idx), 4);
    }
  }

  void str(std::string_view s) {
    if (python2_ && s.size() <= 0xFFFFFFFFu) {
      byte(op::BINUNICODE);  // SHORT_BINUNICODE is protocol 4
      le(s.size(), 4);
      out_.append(s);
      return;
    }
    if (s.size() < 256) {
      byte(op::SHORT_BINUNICODE);
      byte(static_cast<unsigned char>(s.size()));
    } else if (s.size() <= 0xFFFFFFFFu) {
      byte(op::BINUNICODE);
      le(s.size(), 4);
    } else {
      byte(op::BINUNICODE8);
      le(s.size(), 8);
    }
    out_.append(s);
  }

  void bytes(std::string_view s) {
    if (python2_) {  // as Python 2 str
      if (s.size() < 256) {
        byte(op::SHORT_BINSTRING);
        byte(static_cast<unsigned char>(s.size()));
      } else if (s.size() <= 0x7FFFFFFFu) {
        byte(op::BINSTRING);
        le(s.size(), 4);
      } else {
        throw Error("pickle: bytes of " + std::to_string(s.size()) +
                    " bytes exceed BINSTRING (python2 mode)");
      }
      out_.append(s);
      return;
    }
    if (s.size() < 256) {
      byte(op::SHORT_BINBYTES);
      byte(static_cast<unsigned char>(s.size()));
    } else if (s.size() <= 0xFFFFFFFFu) {
      byte(op::BINBYTES);
      le(s.size(), 4);
    } else {
      byte(op::BINBYTES8);
      le(s.size(), 8);
    }
    out_.append(s);
  }

  void integer(std::int64_t i) {
    if (i >= 0 && i <= 0xFF) {
      byte(op::BININT1);
      byte(static_cast<unsigned char>(i));
    } else if (i >= 0 && i <= 0xFFFF) {
      byte(op::BININT2);
      le(static_cast<std::uint64_t>(i), 2);
    } else if (i >= std::numeric_limits<std::int32_t>::min() &&
               i <= std::numeric_limits<std::int32_t>::max()) {
      byte(op::BININT);
      le(static_cast<std::uint64_t>(i), 4);
    } else {
      // The shortest little-endian two's complement, as CPython's encode_long.
      const auto u = static_cast<std::uint64_t>(i);
      int n = 8;
      while (n > 1) {
        const unsigned char last = (u >> (8 * (n - 1))) & 0xFF;
        const unsigned char prev_sign = ((u >> (8 * (n - 2))) & 0x80) ? 0xFF : 0x00;
        if (last != prev_sign) break;
        --n;
      }
      byte(op::LONG1);
      byte(static_cast<unsigned char>(n));
      le(u, n);
    }
  }

  void unsigned_integer(std::uint64_t u) {
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return integer(static_cast<std::int64_t>(u));
    }
    byte(op::LONG1);  // 8 bytes + a zero sign byte
    byte(9);
    le(u, 8);
    byte(0);
  }

  void floating(double d) {
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    byte(op::BINFLOAT);  // big-endian
    for (int i = 7; i >= 0; --i) byte(static_cast<unsigned char>((bits >> (8 * i)) & 0xFF));
  }

  // STACK_GLOBAL with memoized module, name and class (as CPython writes it), reused by BINGET.
  void global(GlobalId id) {
    auto& slot = global_memo_[static_cast<std::size_t>(id)];
    if (slot >= 0) return get(slot);
    if (python2_) {  // STACK_GLOBAL is protocol 4
      byte(op::GLOBAL);
      out_.append(global_module(id)).append("\n").append(global_name(id)).append("\n");
      slot = memoize();
      return;
    }
    str(global_module(id));
    memoize();
    str(global_name(id));
    memoize();
    byte(op::STACK_GLOBAL);
    slot = memoize();
  }

  // numpy.dtype(kind+size, 0, 1) + BUILD (3, order, None, None, None, -1, -1, 0); memoized per
  // typestr and reused by BINGET (docs/archive-format.md §2.3).
  void dtype(std::string_view typestr) {
    const Typestr t = parse_typestr(typestr);
    const char order = t.order == '=' ? '<' : t.order;
    const std::string key = order + std::string(1, t.kind) + std::to_string(t.itemsize);
    for (const auto& [k, idx] : dtype_memo_) {
      if (k == key) return get(idx);
    }
    global(GlobalId::NumpyDtype);
    str(key.substr(1));
    memoize();
    integer(0);
    integer(1);
    byte(op::TUPLE3);
    memoize();
    byte(op::REDUCE);
    const std::int64_t idx = memoize();
    byte(op::MARK);
    integer(3);
    str(std::string_view(&order, 1));
    memoize();
    byte(op::NONE);
    byte(op::NONE);
    byte(op::NONE);
    integer(-1);
    integer(-1);
    integer(0);
    byte(op::TUPLE);
    memoize();
    byte(op::BUILD);
    dtype_memo_.emplace_back(key, idx);
  }

  void numpy_scalar(const NumpyScalar& s) {
    if (minimal_) {
      // Numeric scalars become Python numbers; anything else keeps the NumPy encoding.
      const Typestr t = parse_typestr(s.dtype);
      const bool int_size =
          t.itemsize == 1 || t.itemsize == 2 || t.itemsize == 4 || t.itemsize == 8;
      if (s.data.size() == t.itemsize) {
        if (t.kind == 'f' && (t.itemsize == 4 || t.itemsize == 8)) return floating(s.as_double());
        if (t.kind == 'b' && t.itemsize == 1) {
          return byte(s.as_int64() != 0 ? op::NEWTRUE : op::NEWFALSE);
        }
        if (t.kind == 'i' && int_size) return integer(s.as_int64());
        if (t.kind == 'u' && int_size) {
          std::uint64_t bits = 0;
          const bool big = t.order == '>';
          for (std::size_t i = 0; i < t.itemsize; ++i) {
            const auto b = static_cast<unsigned char>(s.data[big ? i : t.itemsize - 1 - i]);
            bits = (bits << 8) | b;
          }
          return unsigned_integer(bits);
        }
      }
    }
    global(GlobalId::NumpyScalar);
    dtype(s.dtype);
    bytes(s.data);
    memoize();
    byte(op::TUPLE2);
    memoize();
    byte(op::REDUCE);
    memoize();
  }

  void numpy_array(const NumpyArray& a) {
    global(GlobalId::NumpyReconstruct);
    global(GlobalId::NumpyNdarray);
    integer(0);
    byte(op::TUPLE1);
    bytes("b");
    byte(op::TUPLE3);
    byte(op::REDUCE);
    byte(op::MARK);
    integer(1);
    if (a.shape.empty()) {
      byte(op::EMPTY_TUPLE);
    } else {
      if (a.shape.size() > 3) byte(op::MARK);
      for (std::int64_t d : a.shape) integer(d);
      byte(a.shape.size() > 3 ? op::TUPLE
                              : static_cast<unsigned char>(op::TUPLE1 + a.shape.size() - 1));
    }
    dtype(a.dtype);
    byte(a.fortran_order ? op::NEWTRUE : op::NEWFALSE);
    bytes(a.data);
    byte(op::TUPLE);
    byte(op::BUILD);
  }

  void items(const std::vector<Value>& items, unsigned char batch_op, std::size_t depth) {
    for (std::size_t start = 0; start < items.size(); start += kBatch) {
      const std::size_t end = std::min(items.size(), start + kBatch);
      byte(op::MARK);
      for (std::size_t i = start; i < end; ++i) value(items[i], depth);
      byte(batch_op);
    }
  }

 public:
  void value(const Value& v, std::size_t depth) {
    switch (v.type()) {
      case Type::List:
      case Type::Tuple:
      case Type::Set:
      case Type::Dict:
        if (depth + 1 > kMaxDepth) {
          throw Error("pickle: cannot dump a value nested deeper than " +
                      std::to_string(kMaxDepth) + " levels");
        }
        break;
      default:
        break;
    }
    switch (v.type()) {
      case Type::None:
        return byte(op::NONE);
      case Type::Bool:
        return byte(v.as_bool() ? op::NEWTRUE : op::NEWFALSE);
      case Type::Int:
        return integer(v.as_int());
      case Type::Float:
        return floating(v.as_float());
      case Type::Str:
        return str(v.as_str());
      case Type::Bytes:
        return bytes(v.as_bytes());
      case Type::List:
        byte(op::EMPTY_LIST);
        return items(v.as_list(), op::APPENDS, depth + 1);
      case Type::Set:
        if (python2_) throw Error("pickle: cannot dump a set in python2 mode");
        byte(op::EMPTY_SET);
        return items(v.as_set(), op::ADDITEMS, depth + 1);
      case Type::Tuple: {
        const auto& t = v.as_tuple();
        if (t.empty()) return byte(op::EMPTY_TUPLE);
        if (t.size() > 3) byte(op::MARK);
        for (const Value& item : t) value(item, depth + 1);
        if (t.size() > 3) return byte(op::TUPLE);
        return byte(static_cast<unsigned char>(op::TUPLE1 + t.size() - 1));
      }
      case Type::Dict: {
        const Dict& d = v.as_dict();
        if (d.ordered && !minimal_) {
          global(GlobalId::OrderedDict);
          byte(op::EMPTY_TUPLE);
          byte(op::REDUCE);
        } else {
          byte(op::EMPTY_DICT);
        }
        for (std::size_t start = 0; start < d.items.size(); start += kBatch) {
          const std::size_t end = std::min(d.items.size(), start + kBatch);
          byte(op::MARK);
          for (std::size_t i = start; i < end; ++i) {
            value(d.items[i].first, depth + 1);
            value(d.items[i].second, depth + 1);
          }
          byte(op::SETITEMS);
        }
        return;
      }
      case Type::NumpyScalar:
        return numpy_scalar(v.as_numpy_scalar());
      case Type::NumpyArray:
        return numpy_array(v.as_numpy_array());
      case Type::Dtype:
        return dtype(v.as_dtype());
      case Type::Global:
        return global(v.as_global());
      case Type::Native:
        throw Error("pickle: cannot dump a native record (tag " + std::to_string(v.native_tag()) +
                    ")");
    }
  }

 private:
  bool minimal_;
  bool python2_;
  std::string out_;
  std::int64_t memo_next_ = 0;
  std::array<std::int64_t, 16> global_memo_{};
  std::vector<std::pair<std::string, std::int64_t>> dtype_memo_;
};

}  // namespace

std::string dump(const Value& value, const DumpOptions& options) {
  Writer writer(options);
  return writer.run(value);
}

class StreamDumper::Impl {
 public:
  Impl(Sink sink, const DumpOptions& options) : sink_(std::move(sink)), writer_(options) {
    writer_.proto();
  }
  Writer& writer() { return writer_; }
  void flush(bool all) {
    std::string& out = writer_.out();
    if (out.empty() || (!all && out.size() < kFlushBytes)) return;
    sink_(out);
    out.clear();
  }

 private:
  static constexpr std::size_t kFlushBytes = std::size_t{1} << 20;
  Sink sink_;
  Writer writer_;
};

StreamDumper::StreamDumper(Sink sink, const DumpOptions& options)
    : impl_(std::make_unique<Impl>(std::move(sink), options)) {}
StreamDumper::~StreamDumper() = default;

void StreamDumper::value(const Value& v) {
  impl_->writer().value(v, 1);
  impl_->flush(false);
}
void StreamDumper::empty_dict() {
  impl_->writer().byte(detail::op::EMPTY_DICT);
}
void StreamDumper::mark() {
  impl_->writer().byte(detail::op::MARK);
}
void StreamDumper::set_items() {
  impl_->writer().byte(detail::op::SETITEMS);
  impl_->flush(false);
}
void StreamDumper::finish() {
  impl_->writer().byte(detail::op::STOP);
  impl_->flush(true);
}

}  // namespace natsbench::pickle
