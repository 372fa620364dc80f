// pickle::dump in python2 mode: protocol 2 with Python-2 byte strings, as the official CIFAR
// files (docs/training.md §1.4); read back by natsbench's own reader.
#include <catch2/catch.hpp>
#include <string>

#include "natsbench/io/pickle.h"

namespace pk = natsbench::pickle;

TEST_CASE("pickle::dump python2 mode writes protocol 2 with BINSTRING keys and a numpy array",
          "[data][pickle]") {
  pk::Dict d;
  d.add(pk::Value::bytes("labels"),
        pk::Value::list({pk::Value::integer(3), pk::Value::integer(700)}));
  pk::NumpyArray a;
  a.dtype = "|u1";
  a.shape = {2, 300};
  for (int i = 0; i < 600; ++i) a.data += static_cast<char>(i % 256);
  d.add(pk::Value::bytes("data"), pk::Value::numpy_array(a));
  d.add(pk::Value::str("text"), pk::Value::str("x"));
  const pk::Value value = pk::Value::dict(std::move(d));
  pk::DumpOptions options;
  options.python2 = true;
  const std::string bytes = pk::dump(value, options);
  CHECK(bytes.substr(0, 2) == std::string("\x80\x02", 2));
  CHECK(bytes.find(std::string("U\x06labels", 8)) != std::string::npos);  // SHORT_BINSTRING key
  CHECK(bytes.find(std::string("T\x58\x02\x00\x00", 5)) != std::string::npos);  // BINSTRING 600
  CHECK(bytes.find("cnumpy.core.multiarray\n_reconstruct\n") != std::string::npos);  // GLOBAL
  const pk::Value back = pk::load(bytes);
  CHECK(back == value);
  CHECK(back.as_dict().find_bytes("data")->as_numpy_array().data == a.data);
  CHECK_THROWS(pk::dump(pk::Value::set({pk::Value::integer(1)}), options));
}
