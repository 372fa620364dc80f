#pragma once
// The pickle opcodes (private to src/io): one table of byte, name and argument layout that the
// reader, its memo prescan and the writer all use, so an opcode is spelt in one place only.
// Bytes and names are CPython's (Lib/pickle.py, Lib/pickletools.py); the unit test checks them
// against pickletools when python3 is there.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace natsbench::pickle::detail {

// The layout of the bytes after an opcode: what a scanner that does not decode the argument
// has to skip.
enum class ArgKind : std::uint8_t {
  None,      // no argument
  Fixed1,    // 1 byte
  Fixed2,    // 2 bytes
  Fixed4,    // 4 bytes
  Fixed8,    // 8 bytes
  Counted1,  // a 1-byte length, then that many bytes
  Counted4,  // a 4-byte little-endian length, then that many bytes
  Counted8,  // an 8-byte little-endian length, then that many bytes
  Line,      // text up to and including '\n'
  TwoLines,  // two such lines (module and name)
};

struct OpInfo {
  unsigned char code;
  std::string_view name;
  ArgKind arg;
};

// In the order of CPython's Lib/pickle.py.
inline constexpr OpInfo kOpcodes[] = {
    // protocols 0 and 1
    {'(', "MARK", ArgKind::None},
    {'.', "STOP", ArgKind::None},
    {'0', "POP", ArgKind::None},
    {'1', "POP_MARK", ArgKind::None},
    {'2', "DUP", ArgKind::None},
    {'F', "FLOAT", ArgKind::Line},
    {'I', "INT", ArgKind::Line},
    {'J', "BININT", ArgKind::Fixed4},
    {'K', "BININT1", ArgKind::Fixed1},
    {'L', "LONG", ArgKind::Line},
    {'M', "BININT2", ArgKind::Fixed2},
    {'N', "NONE", ArgKind::None},
    {'P', "PERSID", ArgKind::Line},
    {'Q', "BINPERSID", ArgKind::None},
    {'R', "REDUCE", ArgKind::None},
    {'S', "STRING", ArgKind::Line},
    {'T', "BINSTRING", ArgKind::Counted4},  // the length is signed
    {'U', "SHORT_BINSTRING", ArgKind::Counted1},
    {'V', "UNICODE", ArgKind::Line},
    {'X', "BINUNICODE", ArgKind::Counted4},
    {'a', "APPEND", ArgKind::None},
    {'b', "BUILD", ArgKind::None},
    {'c', "GLOBAL", ArgKind::TwoLines},
    {'d', "DICT", ArgKind::None},
    {'}', "EMPTY_DICT", ArgKind::None},
    {'e', "APPENDS", ArgKind::None},
    {'g', "GET", ArgKind::Line},
    {'h', "BINGET", ArgKind::Fixed1},
    {'i', "INST", ArgKind::TwoLines},
    {'j', "LONG_BINGET", ArgKind::Fixed4},
    {'l', "LIST", ArgKind::None},
    {']', "EMPTY_LIST", ArgKind::None},
    {'o', "OBJ", ArgKind::None},
    {'p', "PUT", ArgKind::Line},
    {'q', "BINPUT", ArgKind::Fixed1},
    {'r', "LONG_BINPUT", ArgKind::Fixed4},
    {'s', "SETITEM", ArgKind::None},
    {'t', "TUPLE", ArgKind::None},
    {')', "EMPTY_TUPLE", ArgKind::None},
    {'u', "SETITEMS", ArgKind::None},
    {'G', "BINFLOAT", ArgKind::Fixed8},
    // protocol 2
    {0x80, "PROTO", ArgKind::Fixed1},
    {0x81, "NEWOBJ", ArgKind::None},
    {0x82, "EXT1", ArgKind::Fixed1},
    {0x83, "EXT2", ArgKind::Fixed2},
    {0x84, "EXT4", ArgKind::Fixed4},
    {0x85, "TUPLE1", ArgKind::None},
    {0x86, "TUPLE2", ArgKind::None},
    {0x87, "TUPLE3", ArgKind::None},
    {0x88, "NEWTRUE", ArgKind::None},
    {0x89, "NEWFALSE", ArgKind::None},
    {0x8a, "LONG1", ArgKind::Counted1},
    {0x8b, "LONG4", ArgKind::Counted4},  // the length is signed
    // protocol 3
    {'B', "BINBYTES", ArgKind::Counted4},
    {'C', "SHORT_BINBYTES", ArgKind::Counted1},
    // protocol 4
    {0x8c, "SHORT_BINUNICODE", ArgKind::Counted1},
    {0x8d, "BINUNICODE8", ArgKind::Counted8},
    {0x8e, "BINBYTES8", ArgKind::Counted8},
    {0x8f, "EMPTY_SET", ArgKind::None},
    {0x90, "ADDITEMS", ArgKind::None},
    {0x91, "FROZENSET", ArgKind::None},
    {0x92, "NEWOBJ_EX", ArgKind::None},
    {0x93, "STACK_GLOBAL", ArgKind::None},
    {0x94, "MEMOIZE", ArgKind::None},
    {0x95, "FRAME", ArgKind::Fixed8},
    // protocol 5
    {0x96, "BYTEARRAY8", ArgKind::Counted8},
    {0x97, "NEXT_BUFFER", ArgKind::None},
    {0x98, "READONLY_BUFFER", ArgKind::None},
};

inline constexpr std::size_t kOpcodeCount = std::size(kOpcodes);

namespace opcode_table {

// The byte of the opcode called `name`. Evaluated at compile time for the constants in op::
// below; the throw is not a constant expression, so a name missing from kOpcodes does not
// compile.
constexpr unsigned char code_of(std::string_view name) {
  for (const OpInfo& info : kOpcodes) {
    if (info.name == name) return info.code;
  }
  throw "no pickle opcode has this name";
}

inline constexpr std::uint8_t kNoRow = 0xFF;
static_assert(kOpcodeCount < kNoRow, "row numbers must fit below kNoRow");

// Row of kOpcodes for every byte, kNoRow where no opcode has it, so a lookup is one load.
// Two rows with one byte, or with one name, do not compile.
constexpr std::array<std::uint8_t, 256> make_rows() {
  std::array<std::uint8_t, 256> rows{};
  for (auto& r : rows) r = kNoRow;
  for (std::size_t i = 0; i < kOpcodeCount; ++i) {
    if (rows[kOpcodes[i].code] != kNoRow) throw "two pickle opcodes have the same byte";
    for (std::size_t j = 0; j < i; ++j) {
      if (kOpcodes[j].name == kOpcodes[i].name) throw "two pickle opcodes have the same name";
    }
    rows[kOpcodes[i].code] = static_cast<std::uint8_t>(i);
  }
  return rows;
}

inline constexpr std::array<std::uint8_t, 256> kRows = make_rows();

}  // namespace opcode_table

// The row for `code`, or nullptr when no opcode has that byte.
constexpr const OpInfo* find_op(unsigned char code) {
  const std::uint8_t row = opcode_table::kRows[code];
  return row == opcode_table::kNoRow ? nullptr : &kOpcodes[row];
}

// The opcode's name, for messages; "" (empty) when no opcode has that byte.
constexpr std::string_view op_name(unsigned char code) {
  const OpInfo* info = find_op(code);
  return info ? info->name : std::string_view();
}

// Named constants for switch cases and for the writer; the bytes come from kOpcodes.
namespace op {
using opcode_table::code_of;
inline constexpr unsigned char MARK = code_of("MARK");
inline constexpr unsigned char STOP = code_of("STOP");
inline constexpr unsigned char POP = code_of("POP");
inline constexpr unsigned char POP_MARK = code_of("POP_MARK");
inline constexpr unsigned char DUP = code_of("DUP");
inline constexpr unsigned char FLOAT = code_of("FLOAT");
inline constexpr unsigned char INT = code_of("INT");
inline constexpr unsigned char BININT = code_of("BININT");
inline constexpr unsigned char BININT1 = code_of("BININT1");
inline constexpr unsigned char LONG = code_of("LONG");
inline constexpr unsigned char BININT2 = code_of("BININT2");
inline constexpr unsigned char NONE = code_of("NONE");
inline constexpr unsigned char PERSID = code_of("PERSID");
inline constexpr unsigned char BINPERSID = code_of("BINPERSID");
inline constexpr unsigned char REDUCE = code_of("REDUCE");
inline constexpr unsigned char STRING = code_of("STRING");
inline constexpr unsigned char BINSTRING = code_of("BINSTRING");
inline constexpr unsigned char SHORT_BINSTRING = code_of("SHORT_BINSTRING");
inline constexpr unsigned char UNICODE = code_of("UNICODE");
inline constexpr unsigned char BINUNICODE = code_of("BINUNICODE");
inline constexpr unsigned char APPEND = code_of("APPEND");
inline constexpr unsigned char BUILD = code_of("BUILD");
inline constexpr unsigned char GLOBAL = code_of("GLOBAL");
inline constexpr unsigned char DICT = code_of("DICT");
inline constexpr unsigned char EMPTY_DICT = code_of("EMPTY_DICT");
inline constexpr unsigned char APPENDS = code_of("APPENDS");
inline constexpr unsigned char GET = code_of("GET");
inline constexpr unsigned char BINGET = code_of("BINGET");
inline constexpr unsigned char INST = code_of("INST");
inline constexpr unsigned char LONG_BINGET = code_of("LONG_BINGET");
inline constexpr unsigned char LIST = code_of("LIST");
inline constexpr unsigned char EMPTY_LIST = code_of("EMPTY_LIST");
inline constexpr unsigned char OBJ = code_of("OBJ");
inline constexpr unsigned char PUT = code_of("PUT");
inline constexpr unsigned char BINPUT = code_of("BINPUT");
inline constexpr unsigned char LONG_BINPUT = code_of("LONG_BINPUT");
inline constexpr unsigned char SETITEM = code_of("SETITEM");
inline constexpr unsigned char TUPLE = code_of("TUPLE");
inline constexpr unsigned char EMPTY_TUPLE = code_of("EMPTY_TUPLE");
inline constexpr unsigned char SETITEMS = code_of("SETITEMS");
inline constexpr unsigned char BINFLOAT = code_of("BINFLOAT");
inline constexpr unsigned char PROTO = code_of("PROTO");
inline constexpr unsigned char NEWOBJ = code_of("NEWOBJ");
inline constexpr unsigned char EXT1 = code_of("EXT1");
inline constexpr unsigned char EXT2 = code_of("EXT2");
inline constexpr unsigned char EXT4 = code_of("EXT4");
inline constexpr unsigned char TUPLE1 = code_of("TUPLE1");
inline constexpr unsigned char TUPLE2 = code_of("TUPLE2");
inline constexpr unsigned char TUPLE3 = code_of("TUPLE3");
inline constexpr unsigned char NEWTRUE = code_of("NEWTRUE");
inline constexpr unsigned char NEWFALSE = code_of("NEWFALSE");
inline constexpr unsigned char LONG1 = code_of("LONG1");
inline constexpr unsigned char LONG4 = code_of("LONG4");
inline constexpr unsigned char BINBYTES = code_of("BINBYTES");
inline constexpr unsigned char SHORT_BINBYTES = code_of("SHORT_BINBYTES");
inline constexpr unsigned char SHORT_BINUNICODE = code_of("SHORT_BINUNICODE");
inline constexpr unsigned char BINUNICODE8 = code_of("BINUNICODE8");
inline constexpr unsigned char BINBYTES8 = code_of("BINBYTES8");
inline constexpr unsigned char EMPTY_SET = code_of("EMPTY_SET");
inline constexpr unsigned char ADDITEMS = code_of("ADDITEMS");
inline constexpr unsigned char FROZENSET = code_of("FROZENSET");
inline constexpr unsigned char NEWOBJ_EX = code_of("NEWOBJ_EX");
inline constexpr unsigned char STACK_GLOBAL = code_of("STACK_GLOBAL");
inline constexpr unsigned char MEMOIZE = code_of("MEMOIZE");
inline constexpr unsigned char FRAME = code_of("FRAME");
inline constexpr unsigned char BYTEARRAY8 = code_of("BYTEARRAY8");
inline constexpr unsigned char NEXT_BUFFER = code_of("NEXT_BUFFER");
inline constexpr unsigned char READONLY_BUFFER = code_of("READONLY_BUFFER");
}  // namespace op

// The reader and the writer compute TUPLE1/2/3 from the item count.
static_assert(op::TUPLE2 == op::TUPLE1 + 1 && op::TUPLE3 == op::TUPLE1 + 2,
              "TUPLE1..TUPLE3 must be consecutive bytes");

}  // namespace natsbench::pickle::detail
