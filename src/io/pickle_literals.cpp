// pickle::load: the number and string literals of the text opcodes (INT, LONG, FLOAT, STRING,
// UNICODE) and the two's-complement bytes of LONG1/LONG4.
#include <charconv>
#include <cstdlib>
#include <string>

#include "pickle_reader.h"

namespace natsbench::pickle::detail {

namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

// Little-endian two's complement of n bytes (LONG1/LONG4); must fit int64.
Value Reader::long_value(const unsigned char* p, std::size_t n) {
  if (n == 0) return Value::integer(0);
  const bool negative = (p[n - 1] & 0x80) != 0;
  const unsigned char extension = negative ? 0xFF : 0x00;
  for (std::size_t i = 8; i < n; ++i) {
    if (p[i] != extension)
      fail("integer does not fit in 64 bits (" + std::to_string(n) + " bytes)");
  }
  if (n > 8 && ((p[7] & 0x80) != 0) != negative) {
    fail("integer does not fit in 64 bits (" + std::to_string(n) + " bytes)");
  }
  std::uint64_t v = negative ? ~std::uint64_t{0} : 0;
  const std::size_t used = std::min<std::size_t>(n, 8);
  for (std::size_t i = 0; i < used; ++i) {
    v &= ~(std::uint64_t{0xFF} << (8 * i));
    v |= std::uint64_t{p[i]} << (8 * i);
  }
  return Value::integer(static_cast<std::int64_t>(v));
}

Value Reader::int_text(std::string_view s, bool is_long) {
  if (!is_long) {
    if (s == "01") return Value::boolean(true);
    if (s == "00") return Value::boolean(false);
  }
  if (is_long && !s.empty() && s.back() == 'L') s.remove_suffix(1);
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  std::int64_t v = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, v);
  if (ec == std::errc::result_out_of_range) fail("integer does not fit in 64 bits");
  if (ec != std::errc() || ptr != end || digits.empty()) {
    fail("invalid integer literal '" + std::string(s.substr(0, 40)) + "'");
  }
  return Value::integer(v);
}

Value Reader::float_text(std::string_view s) {
  double d = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, d);
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports overflow/underflow; Python gives inf / a denormal or 0.
    d = std::strtod(std::string(s).c_str(), nullptr);
  } else if (ec != std::errc() || ptr != end || s.empty()) {
    fail("invalid float literal '" + std::string(s.substr(0, 40)) + "'");
  }
  return Value::floating(d);
}

// STRING: a quoted Python-2 str literal with backslash escapes -> bytes.
Value Reader::string_text(std::string_view s) {
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front()) {
    fail("the STRING opcode argument must be quoted");
  }
  s = s.substr(1, s.size() - 2);
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) fail("trailing backslash in STRING");
    const char e = s[i];
    switch (e) {
      case '\n':
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        if (i + 2 >= s.size()) fail("invalid \\x escape in STRING");
        const int h = hex(s[i + 1]), l = hex(s[i + 2]);
        if (h < 0 || l < 0) fail("invalid \\x escape in STRING");
        out += static_cast<char>(h * 16 + l);
        i += 2;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0';
          for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
            v = v * 8 + (s[++i] - '0');
          out += static_cast<char>(v & 0xFF);
        } else {
          out += '\\';
          out += e;
        }
    }
  }
  return Value::bytes(out);
}

// UNICODE: raw-unicode-escape (\uXXXX, \UXXXXXXXX after an odd run of backslashes; every
// other byte is a Latin-1 code point) -> UTF-8.
Value Reader::unicode_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c != '\\') {
      append_utf8(out, c);
      ++i;
      continue;
    }
    std::size_t run = 0;
    while (i < s.size() && s[i] == '\\') {
      ++run;
      ++i;
    }
    const bool escape = (run % 2 == 1) && i < s.size() && (s[i] == 'u' || s[i] == 'U');
    out.append(escape ? run - 1 : run, '\\');
    if (!escape) continue;
    const std::size_t digits = s[i] == 'u' ? 4 : 8;
    ++i;
    if (s.size() - i < digits) fail("truncated \\u escape in UNICODE");
    std::uint32_t cp = 0;
    for (std::size_t k = 0; k < digits; ++k) {
      const char h = s[i + k];
      int v = -1;
      if (h >= '0' && h <= '9') v = h - '0';
      if (h >= 'a' && h <= 'f') v = h - 'a' + 10;
      if (h >= 'A' && h <= 'F') v = h - 'A' + 10;
      if (v < 0) fail("invalid \\u escape in UNICODE");
      cp = cp * 16 + static_cast<std::uint32_t>(v);
    }
    if (cp > 0x10FFFF) fail("\\U escape out of range in UNICODE");
    append_utf8(out, cp);
    i += digits;
  }
  return Value::str(out);
}

}  // namespace natsbench::pickle::detail
