#pragma once
// Typed errors. Every message names the argument / file / index at fault and what was expected;
// the CLI prints it as one line on stderr and exits non-zero.
#include <stdexcept>
#include <string>

namespace natsbench {

// Base of every error natsbench raises on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad value given by the caller (an arch string, an index, a dataset name, ...).
// The CLI maps it to exit status 2.
class ArgError : public Error {
 public:
  using Error::Error;
};

}  // namespace natsbench
