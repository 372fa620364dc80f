// pickle::load: the accepted globals (docs/archive-format.md §2.5) and what REDUCE and BUILD make
// of them: OrderedDict, set/frozenset, bytes/bytearray, _codecs.encode, NumPy scalars, dtypes and
// arrays.
#include <algorithm>
#include <string>
#include <vector>

#include "pickle_reader.h"

namespace natsbench::pickle::detail {

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

}  // namespace natsbench::pickle::detail
