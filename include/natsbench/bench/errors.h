#pragma once
// Typed query errors (docs/archive-format.md §4.15). The official API raises ValueError,
// KeyError or AssertionError depending on the method; natsbench raises one type per situation,
// whatever the method, and names the argument in the message.
#include "natsbench/util/error.h"

namespace natsbench::bench {

class UnknownIndexError : public ArgError {  // index out of range, not evaluated, not loaded
 public:
  using ArgError::ArgError;
};
class UnknownDatasetError : public ArgError {
 public:
  using ArgError::ArgError;
};
class UnknownHpError : public ArgError {
 public:
  using ArgError::ArgError;
};
class UnknownSeedError : public ArgError {
 public:
  using ArgError::ArgError;
};
class BadEpochError : public ArgError {  // iepoch outside [0, epochs)
 public:
  using ArgError::ArgError;
};
class MissingMetricError : public Error {  // an eval set / epoch the record does not hold
 public:
  using Error::Error;
};
class CorruptFileError : public Error {  // unreadable file or schema violation
 public:
  using Error::Error;
};

}  // namespace natsbench::bench
