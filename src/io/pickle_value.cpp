// pickle::Value, Dict, DictIndex (NumPy helpers and repr: pickle_numpy.cpp).
#include <cmath>
#include <cstdio>
#include <limits>
#include <new>

#include "natsbench/io/pickle.h"
#include "natsbench/util/error.h"
#include "pickle_node.h"

namespace natsbench::pickle {

using detail::ArrayNode;
using detail::DictNode;
using detail::NativeNode;
using detail::Node;
using detail::ScalarNode;
using detail::SeqNode;
using detail::StrNode;

std::string_view type_name(Type type) {
  switch (type) {
    case Type::None:
      return "None";
    case Type::Bool:
      return "bool";
    case Type::Int:
      return "int";
    case Type::Float:
      return "float";
    case Type::Str:
      return "str";
    case Type::Bytes:
      return "bytes";
    case Type::List:
      return "list";
    case Type::Tuple:
      return "tuple";
    case Type::Dict:
      return "dict";
    case Type::Set:
      return "set";
    case Type::NumpyScalar:
      return "numpy scalar";
    case Type::NumpyArray:
      return "numpy array";
    case Type::Dtype:
      return "numpy dtype";
    case Type::Global:
      return "global";
    case Type::Native:
      return "native";
  }
  return "unknown";
}

std::string_view global_module(GlobalId id) {
  switch (id) {
    case GlobalId::OrderedDict:
      return "collections";
    case GlobalId::NumpyScalar:
    case GlobalId::NumpyReconstruct:
      return "numpy.core.multiarray";
    case GlobalId::NumpyDtype:
    case GlobalId::NumpyNdarray:
      return "numpy";
    case GlobalId::NumpyFromBuffer:
      return "numpy.core.numeric";
    case GlobalId::Set:
    case GlobalId::FrozenSet:
    case GlobalId::Bytes:
    case GlobalId::ByteArray:
      return "builtins";
    case GlobalId::CodecsEncode:
      return "_codecs";
  }
  return "?";
}

std::string_view global_name(GlobalId id) {
  switch (id) {
    case GlobalId::OrderedDict:
      return "OrderedDict";
    case GlobalId::NumpyScalar:
      return "scalar";
    case GlobalId::NumpyDtype:
      return "dtype";
    case GlobalId::NumpyReconstruct:
      return "_reconstruct";
    case GlobalId::NumpyNdarray:
      return "ndarray";
    case GlobalId::NumpyFromBuffer:
      return "_frombuffer";
    case GlobalId::Set:
      return "set";
    case GlobalId::FrozenSet:
      return "frozenset";
    case GlobalId::CodecsEncode:
      return "encode";
    case GlobalId::Bytes:
      return "bytes";
    case GlobalId::ByteArray:
      return "bytearray";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Nodes and reference counting

namespace detail {

StrNode* new_str_node(const char* data, std::size_t size) {
  void* memory = ::operator new(sizeof(StrNode) + size);
  auto* node = new (memory) StrNode();
  node->size = size;
  if (size > 0) std::memcpy(node->chars(), data, size);
  return node;
}

}  // namespace detail

namespace {

void destroy_node(Type type, Node* node) noexcept {
  switch (type) {
    case Type::Str:
    case Type::Bytes:
    case Type::Dtype: {
      auto* s = static_cast<StrNode*>(node);
      s->~StrNode();
      ::operator delete(s);
      return;
    }
    case Type::List:
    case Type::Tuple:
    case Type::Set:
      delete static_cast<SeqNode*>(node);
      return;
    case Type::Dict:
      delete static_cast<DictNode*>(node);
      return;
    case Type::NumpyScalar:
      delete static_cast<ScalarNode*>(node);
      return;
    case Type::NumpyArray:
      delete static_cast<ArrayNode*>(node);
      return;
    case Type::Native:
      delete static_cast<NativeNode*>(node);
      return;
    default:
      return;  // not reachable: other types are never on the heap
  }
}

}  // namespace

detail::Node* Value::node() const noexcept {
  if (!is_heap()) return nullptr;
  Node* n;
  std::memcpy(&n, raw_, sizeof n);
  return n;
}

void Value::add_ref() const noexcept {
  node()->refs.fetch_add(1, std::memory_order_relaxed);
}

void Value::release_slow() noexcept {
  Node* n = node();
  if (n->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy_node(type(), n);
  set_tag(Type::None, 0);
}

void Value::set_node(Type t, detail::Node* n) noexcept {
  std::memcpy(raw_, &n, sizeof n);
  set_tag(t, kHeapMarker);
}

Value Value::adopt(Type t, detail::Node* n) noexcept {
  Value v;
  v.set_node(t, n);
  return v;
}

Value Value::make_string(Type t, const char* data, std::size_t size) {
  Value v;
  // A dtype always lives on the heap: the reader changes its byte order in place (BUILD) and
  // the memo must see that change.
  if (size <= kInlineCapacity && t != Type::Dtype) {
    if (size > 0) std::memcpy(v.raw_, data, size);
    v.set_tag(t, static_cast<unsigned char>(size));
  } else {
    v.set_node(t, detail::new_str_node(data, size));
  }
  return v;
}

std::string_view Value::string_view_unchecked() const noexcept {
  if (is_heap()) {
    const auto* s = static_cast<const StrNode*>(node());
    return {s->chars(), s->size};
  }
  return {reinterpret_cast<const char*>(raw_), raw_[14]};
}

Value Value::str(std::string_view utf8) {
  return make_string(Type::Str, utf8.data(), utf8.size());
}
Value Value::bytes(std::string_view data) {
  return make_string(Type::Bytes, data.data(), data.size());
}
Value Value::dtype(std::string_view typestr) {
  return make_string(Type::Dtype, typestr.data(), typestr.size());
}

namespace {
Value make_seq(Type t, std::vector<Value> items) {
  auto* n = new SeqNode();
  n->items = std::move(items);
  std::uint32_t depth = 0;
  for (const auto& item : n->items) depth = std::max(depth, detail::depth_of(item));
  n->depth = depth + 1;
  return Value::adopt(t, n);
}
}  // namespace

Value Value::list(std::vector<Value> items) {
  return make_seq(Type::List, std::move(items));
}
Value Value::tuple(std::vector<Value> items) {
  return make_seq(Type::Tuple, std::move(items));
}
Value Value::set(std::vector<Value> items) {
  return make_seq(Type::Set, std::move(items));
}

Value Value::dict(Dict dict) {
  auto* n = new DictNode();
  n->dict = std::move(dict);
  std::uint32_t depth = 0;
  for (const auto& [k, v] : n->dict.items)
    depth = std::max({depth, detail::depth_of(k), detail::depth_of(v)});
  n->depth = depth + 1;
  return adopt(Type::Dict, n);
}

Value Value::numpy_scalar(NumpyScalar scalar) {
  auto* n = new ScalarNode();
  n->scalar = std::move(scalar);
  return adopt(Type::NumpyScalar, n);
}

Value Value::numpy_float64(double d) {
  NumpyScalar s;
  s.dtype = "<f8";
  s.data.resize(8);
  std::uint64_t bits;
  std::memcpy(&bits, &d, 8);
  for (int i = 0; i < 8; ++i) s.data[i] = static_cast<char>((bits >> (8 * i)) & 0xFF);
  return numpy_scalar(std::move(s));
}

Value Value::numpy_array(NumpyArray array) {
  auto* n = new ArrayNode();
  n->array = std::move(array);
  return adopt(Type::NumpyArray, n);
}

Value Value::global(GlobalId id) {
  Value v;
  v.raw_[0] = static_cast<unsigned char>(id);
  v.set_tag(Type::Global, 0);
  return v;
}

Value Value::native(int tag, std::shared_ptr<const void> record) {
  auto* n = new NativeNode();
  n->tag = tag;
  n->ptr = std::move(record);
  return adopt(Type::Native, n);
}

// ---------------------------------------------------------------------------------------------
// Accessors

void Value::type_error(std::string_view expected) const {
  throw Error("pickle: expected " + std::string(expected) + ", got " +
              std::string(type_name(type())));
}

std::string_view Value::as_str() const {
  if (type() != Type::Str) type_error("str");
  return string_view_unchecked();
}

std::string_view Value::as_bytes() const {
  if (type() != Type::Bytes) type_error("bytes");
  return string_view_unchecked();
}

std::string_view Value::as_dtype() const {
  if (type() != Type::Dtype) type_error("numpy dtype");
  return string_view_unchecked();
}

const std::vector<Value>& Value::as_list() const {
  if (type() != Type::List) type_error("list");
  return static_cast<const SeqNode*>(node())->items;
}

const std::vector<Value>& Value::as_tuple() const {
  if (type() != Type::Tuple) type_error("tuple");
  return static_cast<const SeqNode*>(node())->items;
}

const std::vector<Value>& Value::as_set() const {
  if (type() != Type::Set) type_error("set");
  return static_cast<const SeqNode*>(node())->items;
}

const std::vector<Value>& Value::as_sequence() const {
  const Type t = type();
  if (t != Type::List && t != Type::Tuple && t != Type::Set) type_error("list, tuple or set");
  return static_cast<const SeqNode*>(node())->items;
}

const Dict& Value::as_dict() const {
  if (type() != Type::Dict) type_error("dict");
  return static_cast<const DictNode*>(node())->dict;
}

const NumpyScalar& Value::as_numpy_scalar() const {
  if (type() != Type::NumpyScalar) type_error("numpy scalar");
  return static_cast<const ScalarNode*>(node())->scalar;
}

const NumpyArray& Value::as_numpy_array() const {
  if (type() != Type::NumpyArray) type_error("numpy array");
  return static_cast<const ArrayNode*>(node())->array;
}

GlobalId Value::as_global() const {
  if (type() != Type::Global) type_error("global");
  return static_cast<GlobalId>(raw_[0]);
}

int Value::native_tag() const {
  if (type() != Type::Native) type_error("native");
  return static_cast<const NativeNode*>(node())->tag;
}

const std::shared_ptr<const void>& Value::native_ptr() const {
  if (type() != Type::Native) type_error("native");
  return static_cast<const NativeNode*>(node())->ptr;
}

void Value::check_native_tag(int tag) const {
  const int actual = native_tag();
  if (actual != tag) {
    throw Error("pickle: expected native record with tag " + std::to_string(tag) + ", got tag " +
                std::to_string(actual));
  }
}

double Value::to_double() const {
  switch (type()) {
    case Type::Float:
      return as_float();
    case Type::Int:
      return static_cast<double>(as_int());
    case Type::NumpyScalar:
      return as_numpy_scalar().as_double();
    default:
      type_error("a number (float, int or numpy scalar)");
  }
}

const Value& Value::operator[](std::string_view key) const {
  return as_dict().at(key);
}
const Value& Value::operator[](std::int64_t key) const {
  return as_dict().at(key);
}

// ---------------------------------------------------------------------------------------------
// Copy-on-write

void Value::detach() {
  if (!is_heap()) return;
  Node* n = node();
  if (n->refs.load(std::memory_order_acquire) == 1) {
    n->shared = false;
    return;
  }
  Node* copy = nullptr;
  switch (type()) {
    case Type::List:
    case Type::Tuple:
    case Type::Set: {
      auto* c = new SeqNode();
      c->items = static_cast<SeqNode*>(n)->items;
      copy = c;
      break;
    }
    case Type::Dict: {
      auto* c = new DictNode();
      c->dict = static_cast<DictNode*>(n)->dict;
      copy = c;
      break;
    }
    case Type::NumpyArray: {
      auto* c = new ArrayNode();
      c->array = static_cast<ArrayNode*>(n)->array;
      copy = c;
      break;
    }
    default:
      return;  // immutable kinds are never detached
  }
  copy->depth = n->depth;
  const Type t = type();
  release_slow();
  set_node(t, copy);
}

std::vector<Value>& Value::list_mut() {
  if (type() != Type::List) type_error("list");
  detach();
  return static_cast<SeqNode*>(node())->items;
}

std::vector<Value>& Value::tuple_mut() {
  if (type() != Type::Tuple) type_error("tuple");
  detach();
  return static_cast<SeqNode*>(node())->items;
}

std::vector<Value>& Value::set_mut() {
  if (type() != Type::Set) type_error("set");
  detach();
  return static_cast<SeqNode*>(node())->items;
}

Dict& Value::dict_mut() {
  if (type() != Type::Dict) type_error("dict");
  detach();
  return static_cast<DictNode*>(node())->dict;
}

NumpyArray& Value::numpy_array_mut() {
  if (type() != Type::NumpyArray) type_error("numpy array");
  detach();
  return static_cast<ArrayNode*>(node())->array;
}

// ---------------------------------------------------------------------------------------------
// Equality

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  if (a.is_heap() && b.is_heap() && a.node() == b.node()) return true;
  switch (a.type()) {
    case Type::None:
      return true;
    case Type::Bool:
      return a.as_bool() == b.as_bool();
    case Type::Int:
      return a.as_int() == b.as_int();
    case Type::Float: {
      const double x = a.as_float(), y = b.as_float();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case Type::Str:
    case Type::Bytes:
    case Type::Dtype:
      return a.string_view_unchecked() == b.string_view_unchecked();
    case Type::List:
    case Type::Tuple:
    case Type::Set:
      return a.as_sequence() == b.as_sequence();
    case Type::Dict: {
      const Dict& x = a.as_dict();
      const Dict& y = b.as_dict();
      return x.ordered == y.ordered && x.items == y.items;
    }
    case Type::NumpyScalar: {
      const auto& x = a.as_numpy_scalar();
      const auto& y = b.as_numpy_scalar();
      return x.dtype == y.dtype && x.data == y.data;
    }
    case Type::NumpyArray: {
      const auto& x = a.as_numpy_array();
      const auto& y = b.as_numpy_array();
      return x.dtype == y.dtype && x.shape == y.shape && x.fortran_order == y.fortran_order &&
             x.data == y.data;
    }
    case Type::Global:
      return a.as_global() == b.as_global();
    case Type::Native:
      return a.native_tag() == b.native_tag() && a.native_ptr() == b.native_ptr();
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Dict and DictIndex

const Value* Dict::find(std::string_view key) const {
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (it->first.is(Type::Str) && it->first.as_str() == key) return &it->second;
  }
  return nullptr;
}

const Value* Dict::find(std::int64_t key) const {
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (it->first.is(Type::Int) && it->first.as_int() == key) return &it->second;
  }
  return nullptr;
}

const Value* Dict::find_bytes(std::string_view key) const {
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (it->first.is(Type::Bytes) && it->first.as_bytes() == key) return &it->second;
  }
  return nullptr;
}

const Value* Dict::find(const Value& key) const {
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

const Value& Dict::at(std::string_view key) const {
  if (const Value* v = find(key)) return *v;
  throw Error("pickle: key '" + std::string(key) + "' not found in dict");
}

const Value& Dict::at(std::int64_t key) const {
  if (const Value* v = find(key)) return *v;
  throw Error("pickle: key " + std::to_string(key) + " not found in dict");
}

DictIndex::DictIndex(const Dict& dict) : dict_(&dict) {
  str_.reserve(dict.size());
  for (std::size_t i = 0; i < dict.items.size(); ++i) {
    const Value& key = dict.items[i].first;
    if (key.is(Type::Str)) {
      str_[key.as_str()] = i;  // later duplicates win
    } else if (key.is(Type::Int)) {
      int_[key.as_int()] = i;
    }
  }
}

const Value* DictIndex::find(std::string_view key) const {
  auto it = str_.find(key);
  return it == str_.end() ? nullptr : &dict_->items[it->second].second;
}

const Value* DictIndex::find(std::int64_t key) const {
  auto it = int_.find(key);
  return it == int_.end() ? nullptr : &dict_->items[it->second].second;
}

const Value& DictIndex::at(std::string_view key) const {
  if (const Value* v = find(key)) return *v;
  throw Error("pickle: key '" + std::string(key) + "' not found in dict");
}

const Value& DictIndex::at(std::int64_t key) const {
  if (const Value* v = find(key)) return *v;
  throw Error("pickle: key " + std::to_string(key) + " not found in dict");
}

}  // namespace natsbench::pickle
