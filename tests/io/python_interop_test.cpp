// Cross-checks with CPython's own pickle module (/usr/bin/python3 + NumPy):
// pickles written by CPython (protocols 0-5, Python-2 style) read by pickle::load, and
// pickles written by pickle::dump read by CPython.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "io_test_util.h"
#include "natsbench/io/bz2.h"
#include "natsbench/io/pickle.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

using namespace natsbench;
using namespace natsbench::pickle;

TEST_CASE("pickle::load reads what CPython writes", "[pickle]") {
  std::string why;
  if (!iotest::python_available(why)) {
    WARN("skipping the CPython fixtures: " << why);
    return;
  }
  const std::string dir = iotest::make_temp_dir();
  REQUIRE_FALSE(dir.empty());
  const auto made = iotest::run_command(std::string(iotest::kPython) + " '" +
                                        iotest::helper_script() + "' fixtures '" + dir + "'");
  REQUIRE(made.status == 0);

  std::ifstream expected(dir + "/expected.txt");
  std::string line;
  int checked = 0;
  while (std::getline(expected, line)) {
    const auto tab1 = line.find('\t');
    const auto tab2 = line.find('\t', tab1 + 1);
    REQUIRE(tab2 != std::string::npos);
    const std::string file = line.substr(0, tab1);
    const std::string kind = line.substr(tab1 + 1, tab2 - tab1 - 1);
    const std::string want = line.substr(tab2 + 1);
    INFO(file);
    std::string bytes = read_file(dir + "/" + file);
    if (kind == "bz2") bytes = bz2::decompress(bytes);
    const Value v = load(bytes);
    const std::string got = iotest::canon(v);
    if (got != want) {
      std::size_t i = 0;
      while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
      FAIL_CHECK("differs at char " << i << ": got ..." << got.substr(i > 30 ? i - 30 : 0, 80)
                                    << " want ..." << want.substr(i > 30 ? i - 30 : 0, 80));
    }
    ++checked;
  }
  CHECK(checked >= 120);  // 19 objects x 6 protocols, Python-2 pickles, bz2
  iotest::remove_tree(dir);
}

TEST_CASE("CPython reads what pickle::dump writes", "[pickle]") {
  std::string why;
  if (!iotest::python_available(why)) {
    WARN("skipping the CPython reader check: " << why);
    return;
  }
  std::vector<Value> ints;
  for (std::int64_t i : {0LL, 255LL, 256LL, 65535LL, 65536LL, -1LL, -256LL, 2147483647LL,
                         -2147483648LL, 2147483648LL, -2147483649LL, 9223372036854775807LL,
                         -9223372036854775807LL - 1, 1099511627776LL, -1099511627776LL}) {
    ints.push_back(Value::integer(i));
  }
  std::vector<Value> floats;
  const double inf = std::numeric_limits<double>::infinity();
  for (double d : {0.0, -0.0, 0.1, 1e308, 5e-324, inf, -inf, std::nan(""), 63.239999999999995}) {
    floats.push_back(Value::floating(d));
  }
  std::vector<Value> big_list;
  Dict big_dict;
  std::vector<Value> big_set;
  for (int i = 0; i < 2345; ++i) {
    big_list.push_back(Value::integer(i * 7));
    big_dict.add(Value::integer(i), Value::floating(i / 7.0));
    big_set.push_back(Value::integer(i));
  }
  Dict ordered({}, true);
  ordered.add("12", Value::dict(Dict()));
  ordered.add("200", Value::list());
  NumpyArray cifar;
  cifar.dtype = "|u1";
  cifar.shape = {10, 3072};
  for (int i = 0; i < 30720; ++i) cifar.data += static_cast<char>((i * 37) & 0xFF);
  NumpyArray fortran;
  fortran.dtype = "<f8";
  fortran.shape = {2, 2};
  fortran.fortran_order = true;
  for (double d : {1.0, 2.0, 3.0, 4.0}) fortran.data.append(reinterpret_cast<const char*>(&d), 8);

  Dict top;
  top.add("ints", Value::list(ints));
  top.add("floats", Value::list(floats));
  top.add("strs", Value::list({Value::str(""), Value::str("\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80"),
                               Value::str(std::string(300, 'z')), Value::str("a\nb\\c")}));
  top.add("bytes", Value::list({Value::bytes(""), Value::bytes(std::string("\x00\xff", 2)),
                                Value::bytes(std::string(400, 'q'))}));
  top.add("tuples",
          Value::list({Value::tuple(), Value::tuple({Value::none()}),
                       Value::tuple({Value::boolean(true), Value::boolean(false)}),
                       Value::tuple({Value::integer(1), Value::integer(2), Value::integer(3)}),
                       Value::tuple({Value::integer(1), Value::integer(2), Value::integer(3),
                                     Value::integer(4)})}));
  top.add(Value::tuple({Value::str("cifar10-valid"), Value::integer(777)}),
          Value::str("tuple key"));
  top.add(Value::integer(15625), Value::str("int key"));
  top.add("ordered", Value::dict(ordered));
  top.add("big_list", Value::list(big_list));
  top.add("big_dict", Value::dict(big_dict));
  top.add("big_set", Value::set(big_set));
  top.add("empty_set", Value::set());
  top.add("np",
          Value::list(
              {Value::numpy_float64(0.129306), Value::numpy_float64(std::nan("")),
               Value::numpy_scalar({"<f4", std::string("\x00\x00\xc0\x3f", 4)}),
               Value::numpy_scalar({"<i8", std::string("\xfb\xff\xff\xff\xff\xff\xff\xff", 8)}),
               Value::numpy_scalar({"|b1", std::string("\x01", 1)}),
               Value::numpy_scalar({"|u1", std::string("\xc8", 1)}), Value::numpy_float64(1.5)}));
  top.add("arrays", Value::list({Value::numpy_array(cifar), Value::numpy_array(fortran)}));
  const Value value = Value::dict(top);

  const std::string dir = iotest::make_temp_dir();
  REQUIRE_FALSE(dir.empty());
  const std::string cmd = std::string(iotest::kPython) + " '" + iotest::helper_script() + "' canon";
  for (Profile profile : {Profile::AsIs, Profile::Minimal}) {
    const bool minimal = profile == Profile::Minimal;
    INFO((minimal ? "Profile::Minimal" : "Profile::AsIs"));
    const std::string path = dir + (minimal ? "/minimal.pickle" : "/as_is.pickle.pbz2");
    const std::string bytes = dump(value, {profile});
    write_file_atomic(path, minimal ? bytes : bz2::compress(bytes));
    const auto got = iotest::run_command(cmd + (minimal ? " --lenient '" : " '") + path + "'");
    REQUIRE(got.status == 0);
    // Our canonical text of what we wrote, read back by our reader, must equal CPython's.
    const Value back = load(bytes);
    const std::string want = iotest::canon(minimal ? back : value);
    if (got.output != want) {
      std::size_t i = 0;
      while (i < got.output.size() && i < want.size() && got.output[i] == want[i]) ++i;
      FAIL_CHECK("differs at char " << i << ": python ..."
                                    << got.output.substr(i > 30 ? i - 30 : 0, 80) << " ours ..."
                                    << want.substr(i > 30 ? i - 30 : 0, 80));
    }
  }
  iotest::remove_tree(dir);
}
