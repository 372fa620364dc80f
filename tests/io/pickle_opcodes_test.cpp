// The private pickle opcode table (src/io/pickle_opcodes.h): one row per CPython opcode, bytes
// and names unique, lookups in both directions, and the same bytes, names and argument layouts
// as CPython's pickletools.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../../src/io/pickle_opcodes.h"
#include "io_test_util.h"

using namespace natsbench::pickle::detail;

namespace {

const char* arg_kind_name(ArgKind kind) {
  switch (kind) {
    case ArgKind::None:
      return "None";
    case ArgKind::Fixed1:
      return "Fixed1";
    case ArgKind::Fixed2:
      return "Fixed2";
    case ArgKind::Fixed4:
      return "Fixed4";
    case ArgKind::Fixed8:
      return "Fixed8";
    case ArgKind::Counted1:
      return "Counted1";
    case ArgKind::Counted4:
      return "Counted4";
    case ArgKind::Counted8:
      return "Counted8";
    case ArgKind::Line:
      return "Line";
    case ArgKind::TwoLines:
      return "TwoLines";
  }
  return "?";
}

// "28 MARK None" per opcode, sorted by byte: the format of the pickletools script below.
std::string table_text() {
  std::vector<const OpInfo*> rows;
  for (const OpInfo& info : kOpcodes) rows.push_back(&info);
  std::sort(rows.begin(), rows.end(),
            [](const OpInfo* a, const OpInfo* b) { return a->code < b->code; });
  std::string out;
  for (const OpInfo* info : rows) {
    char code[4];
    std::snprintf(code, sizeof code, "%02x", info->code);
    out +=
        std::string(code) + " " + std::string(info->name) + " " + arg_kind_name(info->arg) + "\n";
  }
  return out;
}

constexpr const char* kPickletoolsScript = R"PY(
import pickletools as pt
def kind(a):
    if a is None: return "None"
    if a.name == "stringnl_noescape_pair": return "TwoLines"
    if a.n >= 0: return "Fixed%d" % a.n
    return {pt.UP_TO_NEWLINE: "Line", pt.TAKEN_FROM_ARGUMENT1: "Counted1",
            pt.TAKEN_FROM_ARGUMENT4: "Counted4", pt.TAKEN_FROM_ARGUMENT4U: "Counted4",
            pt.TAKEN_FROM_ARGUMENT8U: "Counted8"}[a.n]
for o in sorted(pt.opcodes, key=lambda o: ord(o.code)):
    print("%02x %s %s" % (ord(o.code), o.name, kind(o.arg)))
)PY";

}  // namespace

TEST_CASE("pickle opcode table: bytes and names are unique", "[pickle]") {
  CHECK(kOpcodeCount == 68);  // CPython 3.8+: protocols 0-5
  std::set<unsigned> codes;
  std::set<std::string_view> names;
  for (const OpInfo& info : kOpcodes) {
    CHECK(codes.insert(info.code).second);
    CHECK(names.insert(info.name).second);
    CHECK_FALSE(info.name.empty());
  }
}

TEST_CASE("pickle opcode table: lookups by byte and by name round-trip", "[pickle]") {
  for (const OpInfo& info : kOpcodes) {
    INFO(std::string(info.name));
    CHECK(find_op(info.code) == &info);
    CHECK(op_name(info.code) == info.name);
    CHECK(opcode_table::code_of(info.name) == info.code);
  }
  // The named constants are the bytes of CPython's pickle.py.
  STATIC_REQUIRE(op::MARK == '(');
  STATIC_REQUIRE(op::STOP == '.');
  STATIC_REQUIRE(op::SETITEMS == 'u');
  STATIC_REQUIRE(op::BINFLOAT == 'G');
  STATIC_REQUIRE(op::PROTO == 0x80);
  STATIC_REQUIRE(op::SHORT_BINUNICODE == 0x8c);
  STATIC_REQUIRE(op::MEMOIZE == 0x94);
  STATIC_REQUIRE(op::READONLY_BUFFER == 0x98);
  STATIC_REQUIRE(op_name(op::STACK_GLOBAL) == "STACK_GLOBAL");
}

TEST_CASE("pickle opcode table: a byte that is no opcode has no row and an empty name",
          "[pickle]") {
  int unknown = 0;
  for (unsigned code = 0; code < 256; ++code) {
    const auto c = static_cast<unsigned char>(code);
    const bool known = std::any_of(std::begin(kOpcodes), std::end(kOpcodes),
                                   [&](const OpInfo& info) { return info.code == c; });
    if (known) continue;
    ++unknown;
    CHECK(find_op(c) == nullptr);
    CHECK(op_name(c).empty());
  }
  CHECK(unknown == 256 - 68);
  STATIC_REQUIRE(find_op(0x00) == nullptr);
  STATIC_REQUIRE(op_name(0xff).empty());
}

TEST_CASE("pickle opcode table equals CPython's pickletools", "[pickle]") {
  if (::access(iotest::kPython, X_OK) != 0) {
    WARN(std::string(iotest::kPython) + " not found: skipping the pickletools comparison");
    return;
  }
  const std::string dir = iotest::make_temp_dir();
  REQUIRE_FALSE(dir.empty());
  const std::string script = dir + "/opcodes.py";
  FILE* f = std::fopen(script.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs(kPickletoolsScript, f);
  std::fclose(f);
  const iotest::CommandResult result =
      iotest::run_command(std::string(iotest::kPython) + " '" + script + "'");
  iotest::remove_tree(dir);
  REQUIRE(result.status == 0);
  CHECK(result.output == table_text());
}
