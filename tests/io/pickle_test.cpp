// pickle::Value, load and dump on hand-made byte strings (docs/archive-format.md §2).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>

#include "io_test_util.h"
#include "natsbench/io/pickle.h"
#include "natsbench/util/error.h"

using namespace natsbench;
using namespace natsbench::pickle;

namespace {

// Bytes from a list of byte values and strings: B({0x80, 4, "abc", '.'}).
struct Piece {
  std::string s;
  Piece(int byte) : s(1, static_cast<char>(byte)) {}  // NOLINT: implicit on purpose
  Piece(const char* text) : s(text) {}                // NOLINT
};
std::string B(std::initializer_list<Piece> pieces) {
  std::string out;
  for (const auto& p : pieces) out += p.s;
  return out;
}
// A protocol-4 pickle of the given body: 80 04 body 2E.
std::string P4(std::initializer_list<Piece> body) {
  return B({0x80, 4}) + B(body) + ".";
}

std::string le_bytes(std::uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

Value composite() {
  Dict inner;
  inner.add("x", Value::floating(0.5));
  inner.add(Value::integer(7), Value::none());
  inner.add(Value::tuple({Value::str("cifar10-valid"), Value::integer(777)}),
            Value::list({Value::integer(1), Value::floating(-0.0)}));
  Dict ordered({}, true);
  ordered.add(Value::integer(0), Value::floating(7.221092998981476));
  ordered.add(Value::integer(1), Value::floating(7.221092998981476));
  NumpyArray array;
  array.dtype = "|u1";
  array.shape = {2, 3};
  array.data = "abcdef";
  Dict top({}, true);
  top.add("name", Value::str("ImageNet16-120"));
  top.add("long", Value::str(std::string(300, 'L')));
  top.add("inner", Value::dict(inner));
  top.add("times", Value::dict(ordered));
  top.add("params", Value::numpy_float64(0.129306));
  top.add("latency", Value::list({Value::numpy_float64(0.0139359758611311)}));
  top.add("ints", Value::list({Value::integer(0), Value::integer(255), Value::integer(256),
                               Value::integer(65535), Value::integer(65536), Value::integer(-1),
                               Value::integer(std::numeric_limits<std::int64_t>::min()),
                               Value::integer(std::numeric_limits<std::int64_t>::max()),
                               Value::integer(2147483648LL), Value::integer(-2147483649LL)}));
  top.add("set", Value::set({Value::integer(3), Value::str("s")}));
  top.add("bytes", Value::bytes(std::string("\x00\xff", 2)));
  top.add("flags", Value::tuple({Value::boolean(true), Value::boolean(false), Value::none(),
                                 Value::tuple(), Value::tuple({Value::integer(1)})}));
  top.add("array", Value::numpy_array(array));
  top.add("nan", Value::floating(std::nan("")));
  return Value::dict(top);
}

// Profile A view of a value: plain dicts, NumPy numbers as Python numbers.
Value minimal(const Value& v) {
  switch (v.type()) {
    case Type::List:
    case Type::Tuple:
    case Type::Set: {
      std::vector<Value> items;
      for (const auto& x : v.as_sequence()) items.push_back(minimal(x));
      if (v.is(Type::List)) return Value::list(items);
      return v.is(Type::Tuple) ? Value::tuple(items) : Value::set(items);
    }
    case Type::Dict: {
      Dict d;
      for (const auto& [k, x] : v.as_dict().items) d.add(minimal(k), minimal(x));
      return Value::dict(d);
    }
    case Type::NumpyScalar: {
      const auto& s = v.as_numpy_scalar();
      const Typestr t = parse_typestr(s.dtype);
      if (t.kind == 'f') return Value::floating(s.as_double());
      if (t.kind == 'b') return Value::boolean(s.as_int64() != 0);
      return Value::integer(s.as_int64());
    }
    default:
      return v;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("pickle::Value is a small value type", "[pickle]") {
  STATIC_REQUIRE(sizeof(Value) == 16);
  Value none;
  CHECK(none.is_none());
  CHECK(Value::integer(-5).as_int() == -5);
  CHECK(Value::floating(0.25).as_float() == 0.25);
  CHECK(Value::boolean(true).as_bool());
  CHECK(Value::str("short").as_str() == "short");
  const std::string long_text(100, 'z');
  CHECK(Value::str(long_text).as_str() == long_text);
  CHECK(Value::str("exactly14chars").as_str() == "exactly14chars");
  CHECK(Value::str("fifteen chars!!").as_str() == "fifteen chars!!");

  SECTION("accessors name the expected and the actual type") {
    CHECK_THROWS_AS(Value::str("x").as_int(), Error);
    CHECK_THROWS_WITH(Value::str("x").as_int(), "pickle: expected int, got str");
    CHECK_THROWS_WITH(Value().as_dict(), "pickle: expected dict, got None");
    CHECK_THROWS_WITH(Value::list().as_tuple(), "pickle: expected tuple, got list");
    CHECK_THROWS_WITH(Value::integer(1).as_str(), "pickle: expected str, got int");
    CHECK_THROWS_WITH(Value::str("x").to_double(), Catch::Contains("expected a number"));
    CHECK_THROWS_WITH(Value::dict(Dict())["missing"], "pickle: key 'missing' not found in dict");
  }

  SECTION("copies are independent (copy-on-write)") {
    Value a = Value::list({Value::integer(1), Value::str(long_text)});
    Value b = a;
    CHECK(b.node() == a.node());
    b.list_mut().push_back(Value::integer(2));
    CHECK(a.as_list().size() == 2);
    CHECK(b.as_list().size() == 3);
    Value c = std::move(b);
    CHECK(b.is_none());  // NOLINT: moved-from is None
    CHECK(c.as_list().size() == 3);
    // Assigning a value its own element.
    c = c.as_list()[1];
    CHECK(c.as_str() == long_text);
    Value d = Value::list({Value::list({Value::integer(9)})});
    d = std::move(d.list_mut()[0]);
    CHECK(d.as_list().at(0).as_int() == 9);
  }

  SECTION("equality is exact") {
    CHECK(Value::floating(0.0) != Value::floating(-0.0));
    CHECK(Value::floating(std::nan("")) == Value::floating(std::nan("")));
    CHECK(Value::integer(1) != Value::boolean(true));
    CHECK(Value::str("a") != Value::bytes("a"));
    Dict plain;
    plain.add("k", Value::integer(1));
    Dict ordered = plain;
    ordered.ordered = true;
    CHECK(Value::dict(plain) != Value::dict(ordered));
    CHECK(composite() == composite());
  }
}

TEST_CASE("pickle::Dict lookups", "[pickle]") {
  Dict d;
  d.add("a", Value::integer(1));
  d.add(Value::integer(5), Value::str("five"));
  d.add(Value::bytes("data"), Value::integer(3));
  d.add("a", Value::integer(2));  // duplicate: the last wins, as in Python
  CHECK(d.at("a").as_int() == 2);
  CHECK(d.at(5).as_str() == "five");
  CHECK(d.find_bytes("data")->as_int() == 3);
  CHECK(d.find("data") == nullptr);
  CHECK(d.find(Value::integer(5))->as_str() == "five");
  CHECK_THROWS_WITH(d.at(6), "pickle: key 6 not found in dict");

  Dict big;
  for (int i = 0; i < 20000; ++i) big.add(Value::integer(i), Value::integer(i * 2));
  big.add("name", Value::str("x"));
  const DictIndex index(big);
  CHECK(index.at(19999).as_int() == 39998);
  CHECK(index.at("name").as_str() == "x");
  CHECK(index.find(20000) == nullptr);
  CHECK(index.find(d.at(5).as_str()) == nullptr);
}

TEST_CASE("pickle NumPy scalars", "[pickle]") {
  const Value params = Value::numpy_float64(0.129306);
  CHECK(params.as_numpy_scalar().dtype == "<f8");
  CHECK(params.as_numpy_scalar().data == B({0x0B, 0x9A, 0x96, 0x58, 0x19, 0x8D, 0xC0, 0x3F}));
  CHECK(params.to_double() == 0.129306);
  CHECK(Value::integer(3).to_double() == 3.0);

  auto scalar = [](const char* dtype, std::string data) {
    return NumpyScalar{dtype, std::move(data)};
  };
  CHECK(scalar(">f8", B({0x3F, 0xC0, 0x8D, 0x19, 0x58, 0x96, 0x9A, 0x0B})).as_double() == 0.129306);
  CHECK(scalar("<f4", B({0, 0, 0xC0, 0x3F})).as_double() == 1.5);
  CHECK(scalar("<i2", B({0xFE, 0xFF})).as_double() == -2.0);
  CHECK(scalar("<i2", B({0xFE, 0xFF})).as_int64() == -2);
  CHECK(scalar("|u1", B({200})).as_int64() == 200);
  CHECK(scalar("|b1", B({1})).as_double() == 1.0);
  CHECK(scalar("<i8", le_bytes(static_cast<std::uint64_t>(-7), 8)).as_int64() == -7);
  CHECK(scalar("<u8", le_bytes(~0ULL, 8)).as_double() == 18446744073709551615.0);
  CHECK_THROWS_AS(scalar("<u8", le_bytes(~0ULL, 8)).as_int64(), Error);
  CHECK_THROWS_AS(scalar("<f8", "short").as_double(), Error);
  CHECK_THROWS_AS(scalar("<U4", "abcd").as_double(), Error);
  CHECK_THROWS_AS(scalar("<f2", "ab").as_double(), Error);
  CHECK_THROWS_AS(parse_typestr("float64"), Error);
  CHECK(parse_typestr("f8").order == '<');
  CHECK(parse_typestr("u1").order == '|');
}

TEST_CASE("pickle::repr", "[pickle]") {
  CHECK(repr(Value::tuple({Value::str("a'b"), Value::integer(1)})) == "('a\\'b', 1)");
  CHECK(repr(Value::tuple({Value::floating(2.0)})) == "(2.0,)");
  CHECK(repr(Value::numpy_float64(0.129306)) == "numpy(0.129306, '<f8')");
  CHECK(repr(Value::list({Value::bytes(std::string("\x00", 1)), Value::none(),
                          Value::boolean(true)})) == "[b'\\x00', None, True]");
  CHECK(repr(Value::str(std::string(500, 'a')), 20).size() == 23);
}

// ---------------------------------------------------------------------------------------------
// Reading

TEST_CASE("pickle::load reads numbers and strings", "[pickle]") {
  CHECK(load(P4({'K', 200})).as_int() == 200);
  CHECK(load(P4({'M', 0x39, 0x30})).as_int() == 12345);
  CHECK(load(P4({'J', 0xFF, 0xFF, 0xFF, 0xFF})).as_int() == -1);
  CHECK(load(P4({0x8a, 0})).as_int() == 0);
  CHECK(load(P4({0x8a, 1, 0xFF})).as_int() == -1);
  CHECK(load(P4({0x8a, 5, 0, 0, 0, 0x80, 0})).as_int() == 2147483648LL);
  CHECK(load(P4({0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF})).as_int() ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(load(P4({0x8b, 2, 0, 0, 0, 0x10, 0x27})).as_int() == 10000);
  CHECK_THROWS_WITH(load(P4({0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0})),
                    Catch::Contains("does not fit in 64 bits"));
  CHECK_THROWS_WITH(load(P4({0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1})),
                    Catch::Contains("does not fit in 64 bits"));
  CHECK(load(B({'I', "-42\n", '.'})).as_int() == -42);
  CHECK(load(B({'I', "01\n", '.'})).as_bool());
  CHECK_FALSE(load(B({'I', "00\n", '.'})).as_bool());
  CHECK(load(B({'L', "123456789012L\n", '.'})).as_int() == 123456789012LL);
  CHECK(load(B({'F', "0.129306\n", '.'})).as_float() == 0.129306);
  CHECK(std::isinf(load(B({'F', "-inf\n", '.'})).as_float()));
  CHECK(load(P4({'G', 0x3F, 0xC0, 0x8D, 0x19, 0x58, 0x96, 0x9A, 0x0B})).as_float() == 0.129306);
  CHECK(load(P4({'N'})).is_none());
  CHECK(load(P4({0x88})).as_bool());
  CHECK_FALSE(load(P4({0x89})).as_bool());

  CHECK(load(P4({0x8c, 2, "hi"})).as_str() == "hi");
  CHECK(load(P4({'X', 3, 0, 0, 0, "\xc3\xbc!"})).as_str() == "\xc3\xbc!");
  CHECK(load(P4({0x8d, 1, 0, 0, 0, 0, 0, 0, 0, "z"})).as_str() == "z");
  CHECK(load(B({'V', "a\\u00fcb\\\\u0041\\U0001f600\xe9\n", '.'})).as_str() ==
        "a\xc3\xbc"
        "b\\\\u0041\xf0\x9f\x98\x80\xc3\xa9");
  CHECK(load(P4({'C', 2, 0, 0xFF})).as_bytes() == B({0, 0xFF}));
  CHECK(load(P4({'B', 1, 0, 0, 0, "b"})).as_bytes() == "b");
  CHECK(load(P4({0x8e, 1, 0, 0, 0, 0, 0, 0, 0, "c"})).as_bytes() == "c");
  CHECK(load(B({0x80, 5, 0x96, 1, 0, 0, 0, 0, 0, 0, 0, "d", '.'})).as_bytes() == "d");
  CHECK(load(B({0x80, 2, 'U', 3, "abc", '.'})).as_bytes() == "abc");
  CHECK(load(B({0x80, 2, 'T', 2, 0, 0, 0, "xy", '.'})).as_bytes() == "xy");
  CHECK(load(B({'S', "'a\\'b\\x00\\n\\101'\n", '.'})).as_bytes() ==
        B({'a', '\'', 'b', 0, '\n', 'A'}));
  // Encoded surrogates pass (CPython writes str with "surrogatepass").
  CHECK(load(P4({0x8c, 3, 0xED, 0xA0, 0x80})).as_str() == "\xed\xa0\x80");
}

TEST_CASE("pickle::load builds containers with MARK, memo and frames", "[pickle]") {
  SECTION("tuples, lists, dicts, sets") {
    const Value t = load(P4({')', 'K', 1, 0x85, 'K', 2, 'K', 3, 0x86, 0x87}));
    REQUIRE(t.as_tuple().size() == 3);
    CHECK(t.as_tuple()[0].as_tuple().empty());
    CHECK(t.as_tuple()[1].as_tuple().size() == 1);
    CHECK(t.as_tuple()[2].as_tuple().size() == 2);
    CHECK(repr(load(P4({'K', 4, 'K', 5, 'K', 6, 0x87}))) == "(4, 5, 6)");
    CHECK(repr(load(P4({'(', 'N', 'N', 'N', 'N', 't'}))) == "(None, None, None, None)");
    CHECK(repr(load(P4({'(', 't'}))) == "()");

    const Value l = load(P4({']', 'K', 1, 'a', '(', 'K', 2, 'K', 3, 'e', '(', 'e'}));
    CHECK(l == Value::list({Value::integer(1), Value::integer(2), Value::integer(3)}));
    CHECK(load(P4({'(', 'K', 1, 'N', 'l'})) == Value::list({Value::integer(1), Value::none()}));

    const Value d = load(P4(
        {'}', 0x8c, 1, "a", 'K', 1, 's', '(', 'K', 2, 'N', 0x8c, 1, "a", 'K', 3, 'u', '(', 'u'}));
    REQUIRE(d.as_dict().size() == 3);
    CHECK(d["a"].as_int() == 3);  // duplicate key: last wins
    CHECK(d[2].is_none());
    CHECK(load(P4({'(', 'K', 1, 'K', 2, 'd'}))[1].as_int() == 2);

    const Value s = load(P4({0x8f, '(', 'K', 1, 'K', 2, 0x90}));
    CHECK(s == Value::set({Value::integer(1), Value::integer(2)}));
    CHECK(load(P4({'(', 'K', 7, 0x91})) == Value::set({Value::integer(7)}));
  }

  SECTION("POP, POP_MARK, DUP") {
    CHECK(load(P4({'K', 1, 'K', 2, '0'})).as_int() == 1);
    CHECK(load(P4({'K', 1, '(', 'K', 2, 'K', 3, '1'})).as_int() == 1);
    CHECK(load(P4({'K', 1, '(', '0'})).as_int() == 1);  // POP of an empty mark drops the mark
    CHECK(repr(load(P4({'K', 1, '2', 0x86}))) == "(1, 1)");
    const Value dup = load(P4({']', '2', 0x86}));
    CHECK(repr(dup) == "([], [])");
    CHECK(dup.as_tuple()[0].node() == dup.as_tuple()[1].node());
  }

  SECTION("memo: MEMOIZE/BINGET/LONG_BINGET, BINPUT/LONG_BINPUT, PUT/GET") {
    const Value v = load(
        P4({'(', 0x8c, 1,   "a", 0x94, 0x8c, 1,   "b",  0x94, 'h', 0, 'j', 1,    0,    0, 0, 'K', 9,
            'q', 200,  'h', 200, 'K',  8,    'r', 0x10, 0x27, 0,   0, 'j', 0x10, 0x27, 0, 0, 'l'}));
    CHECK(repr(v) == "['a', 'b', 'a', 'b', 9, 9, 8, 8]");
    const Value text = load(B({'(', 'I', "5\n", 'p', "12\n", 'g', "12\n", 'l', '.'}));
    CHECK(repr(text) == "[5, 5]");
  }

  SECTION("memo numbering counts distinct indices, as CPython does") {
    // BINPUT 1, then MEMOIZE takes index 1 (len(memo) == 1) and overwrites it.
    const Value v = load(P4({'(', 'K', 5, 'q', 1, 'K', 6, 0x94, 'h', 1, 'l'}));
    CHECK(repr(v) == "[5, 6, 6]");
  }

  SECTION("a container shared by two references is read correctly") {
    // x = [1, 2]; [x, x] as CPython writes it.
    const Value v = load(P4({']', 0x94, '(', ']', 0x94, '(', 'K', 1, 'K', 2, 'e', 'h', 1, 'e'}));
    CHECK(repr(v) == "[[1, 2], [1, 2]]");
    const auto& items = v.as_list();
    CHECK(items[0].node() == items[1].node());  // shared, copy-on-write
    Value copy = v;
    copy.list_mut()[0].list_mut().push_back(Value::integer(3));
    CHECK(repr(v) == "[[1, 2], [1, 2]]");
    CHECK(repr(copy) == "[[1, 2, 3], [1, 2]]");
  }

  SECTION("FRAME is transparent") {
    CHECK(load(B({0x80, 4, 0x95, 3, 0, 0, 0, 0, 0, 0, 0, 'K', 7, '.'})).as_int() == 7);
  }

  SECTION("trailing bytes after STOP are ignored") {
    CHECK(load(P4({'K', 1}) + "garbage").as_int() == 1);
  }
}

TEST_CASE("pickle::load resolves the accepted globals", "[pickle]") {
  const std::string od =
      B({0x8c, 11, "collections", 0x94, 0x8c, 11, "OrderedDict", 0x94, 0x93, 0x94});
  SECTION("collections.OrderedDict via STACK_GLOBAL and GLOBAL; BUILD state ignored") {
    const Value v = load(B({0x80, 4}) + od +
                         B({')', 'R', 0x94, '(', 0x8c, 2, "12", 'K', 1, 'u', '}', 'b', '.'}));
    CHECK(v.as_dict().ordered);
    CHECK(v["12"].as_int() == 1);
    const Value g = load(B({0x80, 2, 'c', "collections\nOrderedDict\n", ')', 'R', '.'}));
    CHECK(g.as_dict().ordered);
    CHECK(g.as_dict().empty());
    // Python 2's OrderedDict.__reduce__: OrderedDict([[k, v], ...]).
    const Value py2 = load(B({0x80, 2, 'c', "collections\nOrderedDict\n", ']', ']', '(', 'K', 1,
                              'K', 2, 'e', 'a', 0x85, 'R', '.'}));
    CHECK(py2[1].as_int() == 2);
  }

  SECTION("the NumPy float64 scalar of docs/archive-format.md §2.3, first and later occurrences") {
    const std::string first = B({0x8c,     21,      "numpy.core.multiarray",
                                 0x94,     0x8c,    6,
                                 "scalar", 0x94,    0x93,
                                 0x94,     0x8c,    5,
                                 "numpy",  0x94,    0x8c,
                                 5,        "dtype", 0x94,
                                 0x93,     0x94,    0x8c,
                                 2,        "f8",    0x94,
                                 'K',      0,       'K',
                                 1,        0x87,    0x94,
                                 'R',      0x94,    '(',
                                 'K',      3,       0x8c,
                                 1,        "<",     0x94,
                                 'N',      'N',     'N',
                                 'J',      0xFF,    0xFF,
                                 0xFF,     0xFF,    'J',
                                 0xFF,     0xFF,    0xFF,
                                 0xFF,     'K',     0,
                                 't',      0x94,    'b',
                                 'C',      8,       0x0B,
                                 0x9A,     0x96,    0x58,
                                 0x19,     0x8D,    0xC0,
                                 0x3F,     0x94,    0x86,
                                 0x94,     'R',     0x94});
    const std::string later =
        B({'h', 2, 'h', 8, 'C', 8, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x94, 0x86, 0x94, 'R', 0x94});
    const Value v = load(B({0x80, 4, '('}) + first + later + B({'l', '.'}));
    REQUIRE(v.as_list().size() == 2);
    CHECK(v.as_list()[0].as_numpy_scalar().dtype == "<f8");
    CHECK(v.as_list()[0].to_double() == 0.129306);
    CHECK(v.as_list()[1].to_double() == 1.5);
    // NumPy 2 module name, NEWFALSE/NEWTRUE dtype arguments, big-endian state.
    const Value np2 = load(B({0x80, 4,       0x8c,     22,   "numpy._core.multiarray",
                              0x8c, 6,       "scalar", 0x93, 0x8c,
                              5,    "numpy", 0x8c,     5,    "dtype",
                              0x93, 0x8c,    2,        "f8", 0x89,
                              0x88, 0x87,    'R',      '(',  'K',
                              3,    0x8c,    1,        ">",  'N',
                              'N',  'N',     'J',      0xFF, 0xFF,
                              0xFF, 0xFF,    'J',      0xFF, 0xFF,
                              0xFF, 0xFF,    'K',      0,    't',
                              'b',  'C',     8,        0x3F, 0xF8,
                              0,    0,       0,        0,    0,
                              0,    0x86,    'R',      '.'}));
    CHECK(np2.as_numpy_scalar().dtype == ">f8");
    CHECK(np2.to_double() == 1.5);
  }

  SECTION("a dtype's byte order set by BUILD is seen through the memo") {
    // D memoized before BUILD (as NumPy writes it), fetched again afterwards.
    const Value v =
        load(B({0x80, 4,    '(',  0x8c, 5,   "numpy", 0x8c, 5,    "dtype", 0x93, 0x8c, 2,
                "i2", 'K',  0,    'K',  1,   0x87,    'R',  0x94, '(',     'K',  3,    0x8c,
                1,    ">",  'N',  'N',  'N', 'J',     0xFF, 0xFF, 0xFF,    0xFF, 'J',  0xFF,
                0xFF, 0xFF, 0xFF, 'K',  0,   't',     'b',  'h',  0,       'l',  '.'}));
    CHECK(v.as_list()[0].as_dtype() == ">i2");
    CHECK(v.as_list()[1].as_dtype() == ">i2");
  }

  SECTION("sets and bytes under protocols 2/3") {
    CHECK(load(B({0x80, 2, 'c', "__builtin__\nset\n", ']', 'K', 1, 'a', 0x85, 'R', '.'})) ==
          Value::set({Value::integer(1)}));
    CHECK(load(B({0x80, 3, 'c', "builtins\nfrozenset\n", ')', 'R', '.'})) == Value::set());
    CHECK(load(B({0x80, 2, 'c', "_codecs\nencode\n", 'X', 3, 0, 0, 0,
                  "\xc3\xbf"
                  "a",
                  'X', 6, 0, 0, 0, "latin1", 0x86, 'R', '.'}))
              .as_bytes() == B({0xFF, 'a'}));
    CHECK(load(B({0x80, 2, 'c', "__builtin__\nbytes\n", ')', 'R', '.'})).as_bytes().empty());
  }

  SECTION("a big-endian NumPy array keeps its dtype and bytes") {
    const Value a = load(B({0x80, 2,
                            'c',  "numpy.core.multiarray\n_reconstruct\n",
                            'c',  "numpy\nndarray\n",
                            'K',  0,
                            0x85, 'C',
                            1,    "b",
                            0x87, 'R',
                            '(',  'K',
                            1,    'K',
                            2,    0x85,
                            'c',  "numpy\ndtype\n",
                            0x8c, 2,
                            "i4", 0x89,
                            0x88, 0x87,
                            'R',  '(',
                            'K',  3,
                            0x8c, 1,
                            ">",  'N',
                            'N',  'N',
                            'J',  0xFF,
                            0xFF, 0xFF,
                            0xFF, 'J',
                            0xFF, 0xFF,
                            0xFF, 0xFF,
                            'K',  0,
                            't',  'b',
                            0x89, 'C',
                            8,    0,
                            0,    0,
                            1,    0,
                            0,    0,
                            2,    't',
                            'b',  '.'}));
    const auto& arr = a.as_numpy_array();
    CHECK(arr.dtype == ">i4");
    CHECK(arr.shape == std::vector<std::int64_t>{2});
    CHECK_FALSE(arr.fortran_order);
    CHECK(arr.data == B({0, 0, 0, 1, 0, 0, 0, 2}));
  }

  SECTION("any other global is refused by name") {
    CHECK_THROWS_WITH(load(B({0x80, 2, 'c', "os\nsystem\n", '.'})),
                      "pickle: unsupported global 'os.system' (GLOBAL at byte offset 2)");
    CHECK_THROWS_WITH(load(P4({0x8c, 8, "builtins", 0x8c, 4, "eval", 0x93})),
                      Catch::Contains("unsupported global 'builtins.eval'"));
  }
}

TEST_CASE("pickle::load rejects malformed input with the offset", "[pickle]") {
  struct Case {
    std::string bytes;
    const char* message;
  };
  const std::string deep = B({0x80, 4}) + std::string(1001, ']') + std::string(1000, 'a') + ".";
  const std::string deep_ok = B({0x80, 4}) + std::string(1000, ']') + std::string(999, 'a') + ".";
  CHECK(load(deep_ok).is(Type::List));
  const Case cases[] = {
      {"", "pickle: empty input"},
      {B({0x80, 4, 'K'}), "truncated input: needs 1 more bytes, 0 left (BININT1 at byte offset 2)"},
      {B({0x80, 4, 'K', 1}), "truncated input: no STOP opcode"},
      {B({0x80, 4, 0xFF}), "pickle: unknown opcode 0xff at byte offset 2"},
      {B({0x80, 6}), "unsupported pickle protocol 6 (PROTO at byte offset 0)"},
      {B({0x80, 4, 'a', '.'}), "stack underflow (APPEND at byte offset 2)"},
      {B({0x80, 4, '.'}), "stack underflow (STOP at byte offset 2)"},
      {B({0x80, 4, 'K', 1, '(', 0x85, '.'}), "stack underflow (TUPLE1 at byte offset 5)"},
      {B({0x80, 4, 'h', 3, '.'}), "memo index 3 not defined (BINGET at byte offset 2)"},
      {B({0x80, 4, 'j', 0, 0, 0, 1, '.'}), "memo index 16777216 not defined"},
      {B({0x80, 4, 'K', 1, 'e', '.'}), "MARK not found (APPENDS at byte offset 4)"},
      {B({0x80, 4, ']', '(', 'K', 1, 'K', 2, 'u', '.'}),
       "SETITEMS target is list, expected dict (SETITEMS at byte offset 8)"},
      {B({0x80, 4, '}', '(', 'K', 1, 'u', '.'}), "odd number of items for SETITEMS"},
      {B({0x80, 4, 'K', 1, 'K', 2, 'K', 3, 's', '.'}), "SETITEM target is int, expected dict"},
      {B({0x80, 4, 'X', 0xFF, 0xFF, 0xFF, 0x7F, "abc"}),
       "length 2147483647 exceeds the 3 bytes left (BINUNICODE at byte offset 2)"},
      {B({0x80, 4, 0x8e, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
       "exceeds the 0 bytes left (BINBYTES8"},
      {B({0x80, 4, 0x95, 0, 0, 0, 0, 0, 0, 0, 1, 'N', '.'}), "exceeds the 2 bytes left (FRAME"},
      {B({0x80, 4, 0x8b, 0xFF, 0xFF, 0xFF, 0xFF, '.'}), "negative byte count (LONG4"},
      {B({0x80, 4, 0x8c, 2, 0xC3, 0x28, '.'}), "invalid UTF-8 in string (SHORT_BINUNICODE"},
      {B({0x80, 2, 'c', "collections\nOrderedDict\n", 'K', 1, 'R', '.'}),
       "REDUCE arguments must be a tuple, got int"},
      {B({0x80, 4, 'N', ')', 'R', '.'}), "REDUCE callable is None, expected a global"},
      {B({0x80, 4, 'N', 'N', 'b', '.'}), "BUILD on None is not supported"},
      {B({0x80, 4, 'N', 0x81, '.'}), "unsupported opcode NEWOBJ"},
      {B({0x80, 4, 'P', "x\n", '.'}), "unsupported opcode PERSID"},
      {B({0x80, 4, ']', 0x94, 'h', 0, 'a', '.'}),
       "list modified after GET/DUP shared it (recursive structures are not supported)"},
      {B({0x80, 4, ']', '2', 'a', 'N', 'a', '.'}), "modified after GET/DUP shared it"},
      {B({'I', "12x\n", '.'}), "invalid integer literal '12x' (INT at byte offset 0)"},
      {B({'I', "99999999999999999999\n", '.'}), "integer does not fit in 64 bits"},
      {B({'F', "1.5.\n", '.'}), "invalid float literal"},
      {B({'S', "abc\n", '.'}), "must be quoted"},
      {B({'V', "\\u12\n", '.'}), "truncated \\u escape"},
      {B({'g', "x\n", '.'}), "invalid GET index"},
      {B({'K', 1, 'p', "-1\n", '.'}), "invalid PUT index"},
      {B({0x80, 4, 0x8c, 1, "a", 0x8c, 1, "b", 0x93, '.'}), "unsupported global 'a.b'"},
      {B({0x80, 4, 'K', 1, 'K', 2, 0x93, '.'}), "STACK_GLOBAL requires two str"},
      {deep, "nesting deeper than 1000 levels"},
  };
  for (const auto& c : cases) {
    INFO("input " << iotest::hex(c.bytes).substr(0, 80));
    CHECK_THROWS_AS(load(c.bytes), Error);
    CHECK_THROWS_WITH(load(c.bytes), Catch::Contains(c.message));
  }
}

TEST_CASE("pickle::load fails cleanly on every truncation and byte flip", "[pickle]") {
  const std::string good = dump(composite());
  REQUIRE(load(good) == composite());
  std::size_t errors = 0, values = 0;
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    CHECK_THROWS_AS(load(std::string_view(good).substr(0, n)), Error);
  }
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (unsigned char mask : {0x01, 0x10, 0x80, 0xFF}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      try {
        (void)load(bad);
        ++values;
      } catch (const Error&) {
        ++errors;
      }
    }
  }
  CHECK(errors + values == good.size() * 4);
  CHECK(errors > values);
}

TEST_CASE("pickle::load on_dict hook turns dicts into native records", "[pickle]") {
  struct Record {
    std::string name;
    double params;
  };
  Dict record;
  record.add("name", Value::str("cifar10"));
  record.add("params", Value::numpy_float64(0.5));
  Dict all;
  all.add(Value::tuple({Value::str("cifar10"), Value::integer(111)}), Value::dict(record));
  all.add(Value::tuple({Value::str("cifar10"), Value::integer(777)}), Value::dict(record));
  Dict top;
  top.add("all_results", Value::dict(all));
  const std::string bytes = dump(Value::dict(top));

  int calls = 0;
  LoadOptions options;
  options.on_dict = [&](Value& dict) {
    ++calls;
    const Dict& d = dict.as_dict();
    if (!d.find("params")) return;
    auto r = std::make_shared<const Record>(
        Record{std::string(d.at("name").as_str()), d.at("params").to_double()});
    dict = Value::native(42, std::move(r));
  };
  const Value v = load(bytes, options);
  CHECK(calls == 4);
  const auto& results = v["all_results"].as_dict();
  REQUIRE(results.size() == 2);
  CHECK(results.items[1].second.as_native<Record>(42).params == 0.5);
  CHECK(results.items[0].second.as_native<Record>(42).name == "cifar10");
  CHECK_THROWS_WITH(results.items[0].second.as_native<Record>(7),
                    "pickle: expected native record with tag 7, got tag 42");
  CHECK_THROWS_WITH(dump(v), Catch::Contains("cannot dump a native record"));

  // A dict filled in several batches is seen once per batch.
  Dict big;
  for (int i = 0; i < 2500; ++i) big.add(Value::integer(i), Value::none());
  calls = 0;
  options.on_dict = [&](Value&) { ++calls; };
  CHECK(load(dump(Value::dict(big)), options).as_dict().size() == 2500);
  CHECK(calls == 3);
}

// ---------------------------------------------------------------------------------------------
// Writing

TEST_CASE("pickle::dump writes Profile A encodings", "[pickle]") {
  CHECK(dump(Value::none()) == P4({'N'}));
  CHECK(dump(Value::boolean(true)) == P4({0x88}));
  CHECK(dump(Value::boolean(false)) == P4({0x89}));
  CHECK(dump(Value::integer(255)) == P4({'K', 255}));
  CHECK(dump(Value::integer(256)) == P4({'M', 0, 1}));
  CHECK(dump(Value::integer(65536)) == P4({'J', 0, 0, 1, 0}));
  CHECK(dump(Value::integer(-1)) == P4({'J', 0xFF, 0xFF, 0xFF, 0xFF}));
  CHECK(dump(Value::integer(2147483648LL)) == P4({0x8a, 5, 0, 0, 0, 0x80, 0}));
  CHECK(dump(Value::integer(-2147483649LL)) == P4({0x8a, 5, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF}));
  CHECK(dump(Value::integer(-1099511627776LL)) == P4({0x8a, 6, 0, 0, 0, 0, 0, 0xFF}));
  CHECK(dump(Value::integer(std::numeric_limits<std::int64_t>::min())) ==
        P4({0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x80}));
  CHECK(dump(Value::floating(0.129306)) ==
        P4({'G', 0x3F, 0xC0, 0x8D, 0x19, 0x58, 0x96, 0x9A, 0x0B}));
  CHECK(dump(Value::str("ab")) == P4({0x8c, 2, "ab"}));
  CHECK(dump(Value::str(std::string(255, 'x'))) ==
        P4({0x8c, 255}).substr(0, 4) + std::string(255, 'x') + ".");
  CHECK(dump(Value::str(std::string(256, 'x'))) ==
        B({0x80, 4, 'X', 0, 1, 0, 0}) + std::string(256, 'x') + ".");
  CHECK(dump(Value::bytes("ab")) == P4({'C', 2, "ab"}));
  CHECK(dump(Value::bytes(std::string(300, 'y'))) ==
        B({0x80, 4, 'B', 0x2C, 1, 0, 0}) + std::string(300, 'y') + ".");
  CHECK(dump(Value::tuple()) == P4({')'}));
  CHECK(dump(Value::tuple({Value::none(), Value::none()})) == P4({'N', 'N', 0x86}));
  CHECK(dump(Value::tuple({Value::none(), Value::none(), Value::none(), Value::none()})) ==
        P4({'(', 'N', 'N', 'N', 'N', 't'}));
  CHECK(dump(Value::list()) == P4({']'}));
  CHECK(dump(Value::list({Value::none()})) == P4({']', '(', 'N', 'e'}));
  CHECK(dump(Value::set()) == P4({0x8f}));
  CHECK(dump(Value::set({Value::integer(1)})) == P4({0x8f, '(', 'K', 1, 0x90}));
  Dict d;
  d.add("k", Value::none());
  CHECK(dump(Value::dict(d)) == P4({'}', '(', 0x8c, 1, "k", 'N', 'u'}));

  SECTION("batches of at most 1000 items") {
    std::vector<Value> items(2500, Value::none());
    const std::string list = dump(Value::list(items));
    CHECK(list == B({0x80, 4, ']', '('}) + std::string(1000, 'N') + B({'e', '('}) +
                      std::string(1000, 'N') + B({'e', '('}) + std::string(500, 'N') + "e.");
    const std::string set = dump(Value::set(items));
    CHECK(std::count(set.begin(), set.end(), '\x90') == 3);
    Dict big;
    for (int i = 0; i < 1001; ++i) big.add(Value::integer(0), Value::none());
    const std::string dict = dump(Value::dict(big));
    CHECK(dict.substr(dict.size() - 6) == B({'K', 0, 'N', 'u', '.'}).insert(0, "("));
    CHECK(std::count(dict.begin(), dict.end(), 'u') == 2);
  }
}

TEST_CASE("pickle::dump writes the Profile B pieces", "[pickle]") {
  Dict od({}, true);
  od.add("12", Value::integer(1));
  const std::string od_global =
      B({0x8c, 11, "collections", 0x94, 0x8c, 11, "OrderedDict", 0x94, 0x93, 0x94});
  CHECK(dump(Value::dict(od)) ==
        B({0x80, 4}) + od_global + B({')', 'R', '(', 0x8c, 2, "12", 'K', 1, 'u', '.'}));
  // The class is memoized once (memo index 2) and fetched with BINGET afterwards.
  const std::string two = dump(Value::list({Value::dict(od), Value::dict(Dict({}, true))}));
  CHECK(two == B({0x80, 4, ']', '('}) + od_global +
                   B({')', 'R', '(', 0x8c, 2, "12", 'K', 1, 'u', 'h', 2, ')', 'R', 'e', '.'}));

  // NumPy float64 scalars: the exact sequence of docs/archive-format.md §2.3, then the short form.
  const std::string scalars =
      dump(Value::list({Value::numpy_float64(0.129306), Value::numpy_float64(1.5)}));
  const std::string expected =
      B({0x80, 4,    ']',     '(',      0x8c, 21,   "numpy.core.multiarray",
         0x94, 0x8c, 6,       "scalar", 0x94, 0x93, 0x94,
         0x8c, 5,    "numpy", 0x94,     0x8c, 5,    "dtype",
         0x94, 0x93, 0x94,    0x8c,     2,    "f8", 0x94,
         'K',  0,    'K',     1,        0x87, 0x94, 'R',
         0x94, '(',  'K',     3,        0x8c, 1,    "<",
         0x94, 'N',  'N',     'N',      'J',  0xFF, 0xFF,
         0xFF, 0xFF, 'J',     0xFF,     0xFF, 0xFF, 0xFF,
         'K',  0,    't',     0x94,     'b',  'C',  8,
         0x0B, 0x9A, 0x96,    0x58,     0x19, 0x8D, 0xC0,
         0x3F, 0x94, 0x86,    0x94,     'R',  0x94}) +
      B({'h', 2,    'h',  8,    'C',  8,    0,   0,    0,   0,  0,
         0,   0xF8, 0x3F, 0x94, 0x86, 0x94, 'R', 0x94, 'e', '.'});
  CHECK(iotest::hex(scalars) == iotest::hex(expected));

  SECTION("Profile::Minimal writes plain dicts and Python numbers") {
    const DumpOptions minimal{Profile::Minimal};
    CHECK(dump(Value::dict(od), minimal) == P4({'}', '(', 0x8c, 2, "12", 'K', 1, 'u'}));
    CHECK(dump(Value::numpy_float64(0.129306), minimal) == dump(Value::floating(0.129306)));
    CHECK(dump(Value::numpy_scalar({"|b1", B({1})}), minimal) == P4({0x88}));
    CHECK(dump(Value::numpy_scalar({"<i2", B({0xFE, 0xFF})}), minimal) == dump(Value::integer(-2)));
    CHECK(dump(Value::numpy_scalar({"<u8", le_bytes(~0ULL, 8)}), minimal) ==
          P4({0x8a, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0}));
  }
}

TEST_CASE("pickle round trip: load(dump(v)) == v", "[pickle]") {
  const Value v = composite();
  const std::string bytes = dump(v);
  CHECK(load(bytes) == v);
  CHECK(iotest::canon(load(bytes)) == iotest::canon(v));
  const Value m = load(dump(v, {Profile::Minimal}));
  CHECK(m == minimal(v));
  CHECK(m != v);
  // Dtypes and globals as values round-trip too.
  const Value odd =
      Value::list({Value::dtype(">i4"), Value::dtype("|b1"), Value::global(GlobalId::OrderedDict),
                   Value::numpy_scalar({">i4", B({0, 0, 0, 5})})});
  CHECK(load(dump(odd)) == odd);
}

TEST_CASE("pickle::dump refuses what it cannot write", "[pickle]") {
  Value deep = Value::list();
  for (std::size_t i = 0; i < kMaxDepth; ++i) deep = Value::list({deep});
  CHECK_THROWS_WITH(dump(deep), Catch::Contains("nested deeper than 1000"));
  CHECK_THROWS_AS(dump(Value::native(1, nullptr)), Error);
}

TEST_CASE("StreamDumper writes the bytes of dump() piece by piece", "[pickle]") {
  // A dict of 2,500 items (three SETITEMS batches) whose values use the memo (OrderedDict and
  // NumPy globals are written once, then fetched), inside a dict with other keys around it.
  pickle::Dict inner;
  for (int i = 0; i < 2500; ++i) {
    pickle::Dict record;
    record.ordered = i % 2 == 0;
    record.add("params", Value::numpy_float64(0.25 * i));
    record.add("name", Value::str("arch-" + std::to_string(i)));
    inner.add(Value::integer(i), Value::dict(std::move(record)));
  }
  pickle::Dict outer;
  outer.add("before", Value::list({Value::integer(1), Value::str("x")}));
  outer.add("items", Value::dict(inner));
  outer.add("after", Value::set({Value::integer(7)}));
  const std::string expected = pickle::dump(Value::dict(std::move(outer)));

  std::string streamed;
  std::size_t pieces = 0;
  {
    pickle::StreamDumper out([&](std::string_view bytes) {
      streamed.append(bytes);
      ++pieces;
    });
    out.empty_dict();
    out.mark();
    out.value(Value::str("before"));
    out.value(Value::list({Value::integer(1), Value::str("x")}));
    out.value(Value::str("items"));
    out.empty_dict();
    for (std::size_t i = 0; i < inner.items.size(); ++i) {
      if (i % 1000 == 0) out.mark();
      out.value(inner.items[i].first);
      out.value(inner.items[i].second);
      if (i % 1000 == 999 || i + 1 == inner.items.size()) out.set_items();
    }
    out.value(Value::str("after"));
    out.value(Value::set({Value::integer(7)}));
    out.set_items();
    out.finish();
  }
  CHECK(streamed == expected);
  CHECK(pieces >= 1);
}
