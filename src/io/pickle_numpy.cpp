// NumPy typestrs and scalars, and repr() (which prints them as Python does).
#include <cmath>
#include <cstdio>
#include <limits>
#include <new>

#include "natsbench/io/pickle.h"
#include "natsbench/util/error.h"
#include "pickle_node.h"

namespace natsbench::pickle {

// ---------------------------------------------------------------------------------------------
// NumPy

Typestr parse_typestr(std::string_view typestr) {
  Typestr t;
  std::string_view rest = typestr;
  bool has_order = false;
  if (!rest.empty() && (rest[0] == '<' || rest[0] == '>' || rest[0] == '|' || rest[0] == '=')) {
    t.order = rest[0];
    has_order = true;
    rest.remove_prefix(1);
  }
  static constexpr std::string_view kKinds = "biufcmMOSUV";
  if (rest.size() < 2 || kKinds.find(rest[0]) == std::string_view::npos || rest.size() > 10) {
    throw Error("pickle: unsupported numpy dtype '" + std::string(typestr) + "'");
  }
  t.kind = rest[0];
  std::size_t size = 0;
  for (char c : rest.substr(1)) {
    if (c < '0' || c > '9') {
      throw Error("pickle: unsupported numpy dtype '" + std::string(typestr) + "'");
    }
    size = size * 10 + static_cast<std::size_t>(c - '0');
  }
  t.itemsize = size;
  if (!has_order) t.order = size > 1 ? '<' : '|';
  return t;
}

namespace {

constexpr bool kHostLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

bool numeric_kind(char kind) {
  return kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f';
}

// Reads the scalar's bytes as an unsigned integer of itemsize bytes (host order).
std::uint64_t scalar_bits(const NumpyScalar& s, const Typestr& t) {
  if (s.data.size() != t.itemsize || t.itemsize == 0 || t.itemsize > 8) {
    throw Error("pickle: numpy scalar of dtype '" + s.dtype + "' has " +
                std::to_string(s.data.size()) + " data bytes");
  }
  const bool big = t.order == '>' || (t.order == '=' && !kHostLittleEndian);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < t.itemsize; ++i) {
    const auto byte = static_cast<unsigned char>(s.data[big ? i : t.itemsize - 1 - i]);
    bits = (bits << 8) | byte;
  }
  return bits;
}

std::int64_t sign_extend(std::uint64_t bits, std::size_t size) {
  if (size == 8) return static_cast<std::int64_t>(bits);
  const std::uint64_t sign = std::uint64_t{1} << (8 * size - 1);
  return static_cast<std::int64_t>((bits ^ sign) - sign);
}

}  // namespace

double NumpyScalar::as_double() const {
  const Typestr t = parse_typestr(dtype);
  if (!numeric_kind(t.kind)) {
    throw Error("pickle: numpy scalar of dtype '" + dtype + "' is not a number");
  }
  const std::uint64_t bits = scalar_bits(*this, t);
  switch (t.kind) {
    case 'f':
      if (t.itemsize == 8) {
        double d;
        std::memcpy(&d, &bits, 8);
        return d;
      }
      if (t.itemsize == 4) {
        const auto b32 = static_cast<std::uint32_t>(bits);
        float f;
        std::memcpy(&f, &b32, 4);
        return f;
      }
      break;
    case 'i':
      if (t.itemsize == 1 || t.itemsize == 2 || t.itemsize == 4 || t.itemsize == 8)
        return static_cast<double>(sign_extend(bits, t.itemsize));
      break;
    case 'u':
      if (t.itemsize == 1 || t.itemsize == 2 || t.itemsize == 4 || t.itemsize == 8)
        return static_cast<double>(bits);
      break;
    case 'b':
      if (t.itemsize == 1) return bits != 0 ? 1.0 : 0.0;
      break;
  }
  throw Error("pickle: unsupported numpy scalar dtype '" + dtype + "'");
}

std::int64_t NumpyScalar::as_int64() const {
  const Typestr t = parse_typestr(dtype);
  const bool ok_size = t.itemsize == 1 || t.itemsize == 2 || t.itemsize == 4 || t.itemsize == 8;
  if ((t.kind != 'i' && t.kind != 'u' && t.kind != 'b') || !ok_size ||
      (t.kind == 'b' && t.itemsize != 1)) {
    throw Error("pickle: numpy scalar of dtype '" + dtype + "' is not an integer");
  }
  const std::uint64_t bits = scalar_bits(*this, t);
  if (t.kind == 'i') return sign_extend(bits, t.itemsize);
  if (t.kind == 'b') return bits != 0 ? 1 : 0;
  if (bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw Error("pickle: numpy uint64 scalar " + std::to_string(bits) + " does not fit int64");
  }
  return static_cast<std::int64_t>(bits);
}

// ---------------------------------------------------------------------------------------------
// repr

namespace {

class ReprWriter {
 public:
  explicit ReprWriter(std::size_t max_len) : max_len_(max_len) {}

  bool full() {
    if (out_.size() < max_len_) return false;
    cut_ = true;
    return true;
  }
  void put(std::string_view s) {
    if (!full()) out_.append(s);
  }

  void quoted(std::string_view s, bool bytes) {
    if (bytes) put("b");
    put("'");
    for (unsigned char c : s) {
      if (full()) return;
      if (c == '\'' || c == '\\') {
        out_ += '\\';
        out_ += static_cast<char>(c);
      } else if (c == '\n') {
        out_ += "\\n";
      } else if (c < 0x20 || c == 0x7F || (bytes && c >= 0x80)) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out_ += buf;
      } else {
        out_ += static_cast<char>(c);
      }
    }
    put("'");
  }

  void number(double d) {
    if (std::isnan(d)) return put("nan");
    if (std::isinf(d)) return put(d > 0 ? "inf" : "-inf");
    char buf[32];
    for (int precision = 1; precision <= 17; ++precision) {
      std::snprintf(buf, sizeof buf, "%.*g", precision, d);
      if (std::strtod(buf, nullptr) == d) break;
    }
    std::string s = buf;
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    put(s);
  }

  void seq(const std::vector<Value>& items, std::string_view open, std::string_view close,
           bool one_tuple) {
    put(open);
    for (std::size_t i = 0; i < items.size() && !full(); ++i) {
      if (i > 0) put(", ");
      value(items[i]);
    }
    if (one_tuple && items.size() == 1) put(",");
    put(close);
  }

  void value(const Value& v) {
    if (full()) return;
    switch (v.type()) {
      case Type::None:
        return put("None");
      case Type::Bool:
        return put(v.as_bool() ? "True" : "False");
      case Type::Int:
        return put(std::to_string(v.as_int()));
      case Type::Float:
        return number(v.as_float());
      case Type::Str:
        return quoted(v.as_str(), false);
      case Type::Bytes:
        return quoted(v.as_bytes(), true);
      case Type::List:
        return seq(v.as_list(), "[", "]", false);
      case Type::Tuple:
        return seq(v.as_tuple(), "(", ")", true);
      case Type::Set:
        return seq(v.as_set(), "{", "}", false);
      case Type::Dict: {
        const Dict& d = v.as_dict();
        put(d.ordered ? "OrderedDict({" : "{");
        for (std::size_t i = 0; i < d.items.size() && !full(); ++i) {
          if (i > 0) put(", ");
          value(d.items[i].first);
          put(": ");
          value(d.items[i].second);
        }
        return put(d.ordered ? "})" : "}");
      }
      case Type::NumpyScalar: {
        const auto& s = v.as_numpy_scalar();
        put("numpy(");
        try {
          number(s.as_double());
        } catch (const Error&) {
          quoted(s.data, true);
        }
        return put(", '" + s.dtype + "')");
      }
      case Type::NumpyArray: {
        const auto& a = v.as_numpy_array();
        std::string shape;
        for (std::size_t i = 0; i < a.shape.size(); ++i)
          shape += (i ? ", " : "") + std::to_string(a.shape[i]);
        return put("ndarray(shape=(" + shape + "), dtype='" + a.dtype + "', " +
                   std::to_string(a.data.size()) + " bytes)");
      }
      case Type::Dtype:
        return put("dtype('" + std::string(v.as_dtype()) + "')");
      case Type::Global: {
        const GlobalId id = v.as_global();
        return put(std::string(global_module(id)) + "." + std::string(global_name(id)));
      }
      case Type::Native:
        return put("<native " + std::to_string(v.native_tag()) + ">");
    }
  }

  std::string take() {
    if (cut_ || out_.size() > max_len_) {
      out_.resize(std::min(out_.size(), max_len_));
      out_ += "...";
    }
    return std::move(out_);
  }

 private:
  std::size_t max_len_;
  bool cut_ = false;
  std::string out_;
};

}  // namespace

std::string repr(const Value& value, std::size_t max_len) {
  ReprWriter w(max_len);
  w.value(value);
  return w.take();
}

}  // namespace natsbench::pickle
