#pragma once
// Heap nodes behind pickle::Value (private to src/io).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "natsbench/io/pickle.h"

namespace natsbench::pickle::detail {

struct Node {
  std::atomic<std::size_t> refs{1};
  // Container nesting depth (1 for a container of scalars); maintained by the reader only.
  std::uint32_t depth = 0;
  // Set by the reader when GET or DUP hands out a second reference: the reader must not
  // modify the node afterwards (the copy-on-write contract would otherwise break).
  bool shared = false;
};

// Str, Bytes, Dtype longer than the inline capacity; the bytes follow the struct.
struct StrNode : Node {
  std::size_t size = 0;
  char* chars() noexcept { return reinterpret_cast<char*>(this + 1); }
  const char* chars() const noexcept { return reinterpret_cast<const char*>(this + 1); }
};

struct SeqNode : Node {  // List, Tuple, Set
  std::vector<Value> items;
};

struct DictNode : Node {
  Dict dict;
};

struct ScalarNode : Node {
  NumpyScalar scalar;
};

struct ArrayNode : Node {
  NumpyArray array;
};

struct NativeNode : Node {
  int tag = 0;
  std::shared_ptr<const void> ptr;
};

StrNode* new_str_node(const char* data, std::size_t size);

inline std::uint32_t depth_of(const Value& v) noexcept {
  switch (v.type()) {
    case Type::List:
    case Type::Tuple:
    case Type::Set:
    case Type::Dict:
      return v.node()->depth;
    default:
      return 0;
  }
}

template <class T>
T* node_as(const Value& v) noexcept {
  return static_cast<T*>(v.node());
}

}  // namespace natsbench::pickle::detail
