#pragma once
// Helpers shared by the io/ tests: reference samples, the Python side, canonical text.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "natsbench/io/pickle.h"

#ifndef NATSBENCH_IO_TEST_DIR
#error "NATSBENCH_IO_TEST_DIR must name tests/io"
#endif

namespace iotest {

inline constexpr const char* kPython = "/usr/bin/python3";

inline std::string helper_script() {
  return std::string(NATSBENCH_IO_TEST_DIR) + "/pickle_helper.py";
}

// $NATSBENCH_REFERENCE_DIR (the shared reference folder), or "" when unset.
inline std::string reference_dir() {
  const char* dir = std::getenv("NATSBENCH_REFERENCE_DIR");
  return dir ? std::string(dir) : std::string();
}

// Path of an official sample: space "tss" or "sss", name "meta", "000000", ...
inline std::string sample_path(const std::string& space, const std::string& name) {
  const std::string base =
      space == "tss" ? "NATS-tss-v1_0-3ffb9-simple" : "NATS-sss-v1_0-50262-simple";
  return reference_dir() + "/official-samples/" + base + "/" + name + ".pickle.pbz2";
}

struct CommandResult {
  int status = -1;  // exit status, or -1 when it did not exit normally
  std::string output;
};

// Runs a shell command, capturing stdout (stderr goes to the test's stderr).
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 65536> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// True when /usr/bin/python3 and NumPy are usable; otherwise `why` says what is missing.
inline bool python_available(std::string& why) {
  if (::access(kPython, X_OK) != 0) {
    why = std::string(kPython) + " not found";
    return false;
  }
  if (run_command(std::string(kPython) + " '" + helper_script() + "' check").status != 0) {
    why = "python3 cannot import numpy";
    return false;
  }
  return true;
}

// A fresh temporary directory (removed by the caller with remove_tree).
inline std::string make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/natsbench-io-XXXXXX";
  if (!::mkdtemp(templ.data())) return {};
  return templ;
}

inline void remove_tree(const std::string& dir) {
  if (!dir.empty() && dir.find("natsbench-io-") != std::string::npos) {
    run_command("rm -rf '" + dir + "'");
  }
}

inline std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

inline std::string fnv1a64(std::string_view s) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

inline std::string float_bits(double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, 8);
  char buf[18];
  std::snprintf(buf, sizeof buf, "f%016llx", static_cast<unsigned long long>(bits));
  return buf;
}

// The canonical text of tests/io/pickle_helper.py canon(): exact values and orders.
inline std::string canon(const natsbench::pickle::Value& v) {
  using natsbench::pickle::Type;
  auto seq = [](const std::vector<natsbench::pickle::Value>& items, const char* open,
                const char* close) {
    std::string out = open;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += ',';
      out += canon(items[i]);
    }
    return out + close;
  };
  switch (v.type()) {
    case Type::None:
      return "N";
    case Type::Bool:
      return v.as_bool() ? "T" : "F";
    case Type::Int:
      return "i" + std::to_string(v.as_int());
    case Type::Float:
      return float_bits(v.as_float());
    case Type::Str:
      return "s" + hex(v.as_str());
    case Type::Bytes:
      return "b" + hex(v.as_bytes());
    case Type::List:
      return seq(v.as_list(), "[", "]");
    case Type::Tuple:
      return seq(v.as_tuple(), "(", ")");
    case Type::Set:
      return seq(v.as_set(), "{", "}");
    case Type::Dict: {
      const auto& d = v.as_dict();
      std::string out = d.ordered ? "o{" : "d{";
      for (std::size_t i = 0; i < d.items.size(); ++i) {
        if (i) out += ',';
        out += canon(d.items[i].first) + ":" + canon(d.items[i].second);
      }
      return out + "}";
    }
    case Type::NumpyScalar: {
      const auto& s = v.as_numpy_scalar();
      return "S" + s.dtype + ":" + hex(s.data);
    }
    case Type::NumpyArray: {
      const auto& a = v.as_numpy_array();
      std::string shape;
      for (std::size_t i = 0; i < a.shape.size(); ++i) {
        if (i) shape += 'x';
        shape += std::to_string(a.shape[i]);
      }
      return "A" + a.dtype + ":" + shape + ":" + (a.fortran_order ? "F" : "C") + ":" +
             fnv1a64(a.data);
    }
    default:
      return "?" + natsbench::pickle::repr(v);
  }
}

}  // namespace iotest
