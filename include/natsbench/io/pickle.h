#pragma once
// Python pickle: a small value type, a reader (protocols 0-5) and a writer (protocol 4).
//
// The reader accepts what the official NATS-Bench files and CPython protocol 0-5 writers produce
// for plain data (docs/archive-format.md §2.2-§2.5): None, bool, int, float, str, bytes,
// bytearray, list, tuple, dict, set, frozenset, collections.OrderedDict, NumPy scalars, dtypes
// and arrays. Any other class, and every malformed input, raises natsbench::Error with a message
// that says what went wrong and at which byte offset. It never reads past the input, and no
// length field can make it allocate more than the input size justifies.
//
// The writer (dump) emits protocol 4 without frames. Plain values are written as in
// docs/archive-format.md §2.6 Profile A (no memo); a Dict flagged `ordered` is written as
// collections.OrderedDict and a NumpyScalar as the exact numpy.core.multiarray.scalar sequence of
// §2.3 (Profile B pieces). DumpOptions::profile = Profile::Minimal turns those into plain dicts /
// Python numbers instead.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace natsbench::pickle {

enum class Type : std::uint8_t {
  None,
  Bool,
  Int,    // int64; larger Python ints are rejected by the reader
  Float,  // double
  Str,    // UTF-8 text (Python str)
  Bytes,  // bytes, bytearray, and Python-2 `str` (BINSTRING, SHORT_BINSTRING, STRING)
  List,
  Tuple,
  Dict,         // insertion-ordered; Dict::ordered marks a collections.OrderedDict
  Set,          // set and frozenset, in pickle order (no de-duplication)
  NumpyScalar,  // numpy scalar: dtype typestr ("<f8") + raw bytes
  NumpyArray,   // numpy ndarray: dtype typestr, shape, Fortran flag, raw bytes
  Dtype,        // a numpy.dtype object (only seen as part of scalars/arrays in practice)
  Global,       // one of the accepted classes/functions (e.g. collections.OrderedDict)
  Native,       // a caller-made record (see LoadOptions::on_dict); never read from bytes
};

// "None", "bool", "int", "float", "str", "bytes", "list", "tuple", "dict", "set",
// "numpy scalar", "numpy array", "numpy dtype", "global", "native".
std::string_view type_name(Type type);

// Nesting deeper than this is rejected by the reader and the writer (CPython's own pickler
// stops near its recursion limit of 1000, so real files stay far below).
inline constexpr std::size_t kMaxDepth = 1000;

class Dict;
struct NumpyScalar;
struct NumpyArray;

namespace detail {
struct Node;
}

// The classes and functions a pickle may reference (docs/archive-format.md §2.5). Aliases are
// resolved on load: numpy._core.* -> numpy.core.*, __builtin__ -> builtins.
enum class GlobalId : std::uint8_t {
  OrderedDict,       // collections.OrderedDict
  NumpyScalar,       // numpy.core.multiarray.scalar
  NumpyDtype,        // numpy.dtype
  NumpyReconstruct,  // numpy.core.multiarray._reconstruct
  NumpyNdarray,      // numpy.ndarray
  NumpyFromBuffer,   // numpy.core.numeric._frombuffer (protocol-5 arrays)
  Set,               // builtins.set
  FrozenSet,         // builtins.frozenset
  CodecsEncode,      // _codecs.encode (bytes under protocols 0-2)
  Bytes,             // builtins.bytes (empty bytes under protocols 0-2)
  ByteArray,         // builtins.bytearray (protocols 0-4)
};
// "collections.OrderedDict" etc., as module and name.
std::string_view global_module(GlobalId id);
std::string_view global_name(GlobalId id);

// A pickled value. 16 bytes: numbers and strings of up to 14 bytes are stored inline; other
// strings and all containers live in an immutable-when-shared, reference-counted heap node, so
// copying a Value is O(1) and the `*_mut()` accessors copy a shared node before changing it
// (copy-on-write: a Value behaves as an independent value). Reference counts are atomic, so
// Values may be copied and read from several threads; mutating one Value from two threads at
// once is a data race, as for any C++ value.
//
// Accessors check the type and throw natsbench::Error("pickle: expected int, got str").
// String views returned by as_str()/as_bytes() point into the Value: they stay valid while
// that Value is neither destroyed, moved from nor modified.
class Value {
 public:
  Value() noexcept {
    std::memset(raw_, 0, sizeof raw_);
    set_tag(Type::None, 0);
  }
  Value(const Value& other) noexcept {
    std::memcpy(raw_, other.raw_, sizeof raw_);
    if (is_heap()) add_ref();
  }
  Value(Value&& other) noexcept {
    std::memcpy(raw_, other.raw_, sizeof raw_);
    other.set_tag(Type::None, 0);
  }
  // Both assignments work when `other` lives inside this value (v = v.as_list()[0]).
  Value& operator=(const Value& other) noexcept {
    if (this != &other) {
      unsigned char incoming[sizeof raw_];
      std::memcpy(incoming, other.raw_, sizeof raw_);
      if (other.is_heap()) other.add_ref();
      release();
      std::memcpy(raw_, incoming, sizeof raw_);
    }
    return *this;
  }
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      unsigned char incoming[sizeof raw_];
      std::memcpy(incoming, other.raw_, sizeof raw_);
      other.set_tag(Type::None, 0);
      release();
      std::memcpy(raw_, incoming, sizeof raw_);
    }
    return *this;
  }
  ~Value() { release(); }

  static Value none() { return Value(); }
  static Value boolean(bool b) noexcept {
    Value v;
    v.raw_[0] = b ? 1 : 0;
    v.set_tag(Type::Bool, 0);
    return v;
  }
  static Value integer(std::int64_t i) noexcept {
    Value v;
    std::memcpy(v.raw_, &i, sizeof i);
    v.set_tag(Type::Int, 0);
    return v;
  }
  static Value floating(double d) noexcept {
    Value v;
    std::memcpy(v.raw_, &d, sizeof d);
    v.set_tag(Type::Float, 0);
    return v;
  }
  static Value str(std::string_view utf8);  // does not validate UTF-8
  static Value bytes(std::string_view data);
  static Value list(std::vector<Value> items = {});
  static Value tuple(std::vector<Value> items = {});
  static Value set(std::vector<Value> items = {});
  static Value dict(Dict dict);
  static Value numpy_scalar(NumpyScalar scalar);
  static Value numpy_float64(double d);  // dtype "<f8", as in the official `params` field
  static Value numpy_array(NumpyArray array);
  static Value dtype(std::string_view typestr);  // e.g. "<f8", "|u1"
  static Value global(GlobalId id);
  // A record made by the caller (LoadOptions::on_dict). `tag` identifies the record type.
  static Value native(int tag, std::shared_ptr<const void> record);

  Type type() const noexcept { return static_cast<Type>(raw_[15]); }
  bool is(Type t) const noexcept { return type() == t; }
  bool is_none() const noexcept { return type() == Type::None; }

  bool as_bool() const {
    if (type() != Type::Bool) type_error("bool");
    return raw_[0] != 0;
  }
  std::int64_t as_int() const {
    if (type() != Type::Int) type_error("int");
    std::int64_t i;
    std::memcpy(&i, raw_, sizeof i);
    return i;
  }
  double as_float() const {
    if (type() != Type::Float) type_error("float");
    double d;
    std::memcpy(&d, raw_, sizeof d);
    return d;
  }
  std::string_view as_str() const;
  std::string_view as_bytes() const;
  const std::vector<Value>& as_list() const;
  const std::vector<Value>& as_tuple() const;
  const std::vector<Value>& as_set() const;
  const std::vector<Value>& as_sequence() const;  // list, tuple or set
  const Dict& as_dict() const;
  const NumpyScalar& as_numpy_scalar() const;
  const NumpyArray& as_numpy_array() const;
  std::string_view as_dtype() const;
  GlobalId as_global() const;
  int native_tag() const;
  const std::shared_ptr<const void>& native_ptr() const;
  // The native record, checking type and tag.
  template <class T>
  const T& as_native(int tag) const {
    check_native_tag(tag);
    return *static_cast<const T*>(native_ptr().get());
  }

  // A number as double: float, int, or a numeric NumPy scalar (f8/f4/i*/u*/b1).
  double to_double() const;

  // Dict shortcuts: as_dict().at(key).
  const Value& operator[](std::string_view key) const;
  const Value& operator[](std::int64_t key) const;
  const Value& operator[](int key) const { return (*this)[static_cast<std::int64_t>(key)]; }

  // Copy-on-write mutable access (copies the node first when it is shared).
  std::vector<Value>& list_mut();   // list
  std::vector<Value>& tuple_mut();  // tuple
  std::vector<Value>& set_mut();    // set
  Dict& dict_mut();
  NumpyArray& numpy_array_mut();

  // Structural equality; floats (also inside NumPy data) compare bit for bit, so NaN == NaN
  // and 0.0 != -0.0; a Dict's `ordered` flag is part of its value.
  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

  // For the reader and the writer; not part of the stable interface.
  detail::Node* node() const noexcept;  // nullptr unless is_heap()
  bool is_heap() const noexcept { return raw_[14] == kHeapMarker; }
  static Value adopt(Type t, detail::Node* node) noexcept;  // takes over one reference

 private:
  static constexpr unsigned char kHeapMarker = 0xFF;
  static constexpr std::size_t kInlineCapacity = 14;

  void set_tag(Type t, unsigned char aux) noexcept {
    raw_[14] = aux;
    raw_[15] = static_cast<unsigned char>(t);
  }
  void set_node(Type t, detail::Node* node) noexcept;
  static Value make_string(Type t, const char* data, std::size_t size);
  std::string_view string_view_unchecked() const noexcept;
  void release() noexcept {
    if (is_heap()) release_slow();
  }
  void add_ref() const noexcept;
  void release_slow() noexcept;
  void detach();  // make the heap node unique before a mutation
  [[noreturn]] void type_error(std::string_view expected) const;
  void check_native_tag(int tag) const;

  // raw_[0..7] payload (int64, double, node pointer, global id), or raw_[0..13] inline
  // string bytes; raw_[14] inline string length, or kHeapMarker; raw_[15] the Type.
  alignas(8) unsigned char raw_[16];
};

static_assert(sizeof(Value) == 16, "pickle::Value must stay 16 bytes");

// An insertion-ordered dict. Keys are usually str, int or tuple. Duplicate keys (never written
// by Python) are kept as separate items; lookups return the last one, as Python would.
class Dict {
 public:
  using Item = std::pair<Value, Value>;
  std::vector<Item> items;
  bool ordered = false;  // read from / written as collections.OrderedDict

  Dict() = default;
  explicit Dict(std::vector<Item> items_in, bool ordered_in = false)
      : items(std::move(items_in)), ordered(ordered_in) {}

  std::size_t size() const noexcept { return items.size(); }
  bool empty() const noexcept { return items.empty(); }
  void add(Value key, Value value) { items.emplace_back(std::move(key), std::move(value)); }
  void add(std::string_view key, Value value) { add(Value::str(key), std::move(value)); }

  // Linear search (fine for the small dicts of the benchmark files; use DictIndex for large
  // ones). find() returns nullptr when absent; at() throws Error naming the key.
  const Value* find(std::string_view key) const;        // str keys only
  const Value* find(std::int64_t key) const;            // int keys only
  const Value* find_bytes(std::string_view key) const;  // bytes keys (Python-2 files)
  const Value* find(const Value& key) const;            // any key, by operator==
  const Value& at(std::string_view key) const;
  const Value& at(std::int64_t key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
};

// Hash index over a Dict's str and int keys for O(1) lookups in big dicts (e.g. arch2infos).
// It refers to the Dict's items: the Dict must outlive the index and stay unmodified.
class DictIndex {
 public:
  explicit DictIndex(const Dict& dict);
  const Value* find(std::string_view key) const;
  const Value* find(std::int64_t key) const;
  const Value& at(std::string_view key) const;
  const Value& at(std::int64_t key) const;

 private:
  const Dict* dict_;
  std::unordered_map<std::string_view, std::size_t> str_;
  std::unordered_map<std::int64_t, std::size_t> int_;
};

// NumPy dtype typestr helpers: "<f8" = byte order ('<' little, '>' big, '|' not applicable,
// '=' native), kind letter, item size in bytes.
struct Typestr {
  char order = '|';
  char kind = 0;
  std::size_t itemsize = 0;
};
// Parses "<f8", "f8", "|b1", ...; throws Error on anything else.
Typestr parse_typestr(std::string_view typestr);

struct NumpyScalar {
  std::string dtype;  // typestr with byte order, e.g. "<f8"
  std::string data;   // the raw item bytes, in the dtype's byte order

  // Numeric value of an f8/f4, i1..i8, u1..u8 or b1 scalar (either byte order); throws Error
  // for other dtypes or a payload of the wrong size.
  double as_double() const;
  // Integer value of an i*/u*/b1 scalar (u8 above INT64_MAX throws).
  std::int64_t as_int64() const;
};

struct NumpyArray {
  std::string dtype;                // typestr, e.g. "|u1"
  std::vector<std::int64_t> shape;  // e.g. {10000, 3072}
  bool fortran_order = false;
  std::string data;  // raw bytes, prod(shape) * itemsize of them
};

// Python-like text of a value for messages and debugging, cut at about max_len characters.
std::string repr(const Value& value, std::size_t max_len = 200);

// ---------------------------------------------------------------------------------------------
// Reading

struct LoadOptions {
  // Hook to turn big sub-objects into compact native records while parsing, so the generic tree
  // of a huge file never exists in full. Called with the dict on top of the unpickler stack each
  // time it has just received items (after SETITEM, SETITEMS, and MARK ... DICT). A dict that
  // gets items in several batches (more than 1000 items, or one SETITEM per item as protocols
  // 0/1 write them) is seen once per batch; a record dict of the benchmark files (16 keys) is
  // seen once, complete. The callback may replace `dict` with any Value - typically
  // Value::native(tag, std::make_shared<const Record>(...)) - or leave it as is. A later
  // SETITEM(S) on a replaced dict fails (the target is no longer a dict). A copy kept in the
  // pickle memo (only when a later GET refers to the dict) keeps the original dict.
  // Exceptions thrown by the callback propagate out of load().
  std::function<void(Value& dict)> on_dict;
  // Hook for the raw bytes of NumPy arrays, so that a big array can be copied straight to its
  // final place rather than into NumpyArray::data first. Called when an array gets its data
  // (BUILD, or numpy _frombuffer), once their size matches dtype and shape, with the array's
  // dtype, shape and order set (data still empty) and a view of the bytes, valid during the call
  // only. Returning true means the callback took the bytes: the array keeps empty data.
  // Exceptions thrown by the callback propagate out of load().
  std::function<bool(const NumpyArray& array, std::string_view data)> on_array_data;
};

// Unpickles one value (stops at the first STOP; trailing bytes are ignored, as in Python).
// Memo GET yields a copy of the memoized value (copy-on-write, so O(1)); modifying a container
// after a GET or DUP has fetched it throws (that only happens in recursive structures, which
// a value type cannot represent). A first pass over the opcodes finds the memo entries that a
// later GET reads, and only those are kept, so a multi-GB file does not hold a second reference
// to every string it memoized. Dict keys and set items are not checked for hashability or
// duplicates. Throws natsbench::Error on any malformed input.
Value load(std::string_view bytes, const LoadOptions& options = {});

// Streaming input for load_stream: copies up to `cap` bytes of the input into `buf` and returns
// how many; 0 means the input has ended. May throw (the exception propagates out of load_stream).
using ReadFn = std::function<std::size_t(char* buf, std::size_t cap)>;

// Unpickles one value read incrementally from `open()` (as load() does for a buffer), holding
// only a small window of the input at a time, so a multi-GB payload never exists whole. There is
// no first pass to find which memo entries are read later, so the memo keeps every entry that is
// cheap to keep and that GETs reference in real files (str, small bytes, numbers, None/bool,
// globals, dtypes, small tuples of those) and drops containers and other big values. If a GET
// then asks for a dropped entry, the input is read twice more from fresh `open()`s: a scan of the
// opcodes that finds which memo entries a GET reads, then a load that keeps exactly those (so any
// valid pickle loads, and memory stays bounded by what the file shares; the on_dict hook then
// sees the dicts read before that point twice). `open` is called once, or three times in that
// fallback. Offsets in error messages count from the start of the input.
Value load_stream(const std::function<ReadFn()>& open, const LoadOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Writing

enum class Profile {
  // Write what the value holds: plain values as Profile A, ordered dicts as
  // collections.OrderedDict and NumPy scalars/arrays/dtypes with their NumPy globals.
  AsIs,
  // Spec §2.6 Profile A throughout: ordered dicts as plain dicts, numeric NumPy scalars as
  // Python floats (f*) or ints (i*/u*) or bools (b1); loads without NumPy. NumPy arrays and
  // dtypes are still written with NumPy globals.
  Minimal,
};

struct DumpOptions {
  Profile profile = Profile::AsIs;
  // Protocol 2 as Python 2's cPickle wrote it (the official CIFAR files, docs/training.md §1.4):
  // bytes as SHORT_BINSTRING/BINSTRING (Python 2 `str`, so Python 3 loads them with
  // encoding="latin1" as str), str as BINUNICODE, GLOBAL and BINPUT memo. Sets are refused.
  bool python2 = false;
};

// Pickles a value with protocol 4, no frames. Throws Error for Native values and for nesting
// deeper than kMaxDepth.
std::string dump(const Value& value, const DumpOptions& options = {});

// Writes one pickle piece by piece, for a value too large to build as a tree (a benchmark file
// of 15,625 architectures): the caller emits the container opcodes and the values in between,
// in the order dump() would write them, and gets the same bytes. Output goes to the sink in
// pieces of about 1 MiB; the memo (globals written once, then fetched) spans all calls.
class StreamDumper {
 public:
  using Sink = std::function<void(std::string_view bytes)>;
  explicit StreamDumper(Sink sink, const DumpOptions& options = {});  // writes PROTO
  ~StreamDumper();
  StreamDumper(const StreamDumper&) = delete;
  StreamDumper& operator=(const StreamDumper&) = delete;

  void value(const Value& v);  // one whole value
  void empty_dict();           // EMPTY_DICT: a dict whose items follow in marked batches
  void mark();                 // MARK: a batch of at most 1,000 items begins (as CPython)
  void set_items();            // SETITEMS: the batch since the last mark goes into the dict
  void finish();               // STOP, and everything to the sink

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace natsbench::pickle
