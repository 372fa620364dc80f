// The memo prescan of pickle::load: which memo indices a later GET reads.
#include <cstring>
#include <string_view>

#include "pickle_memo.h"
#include "pickle_opcodes.h"
#include "pickle_wire.h"

namespace natsbench::pickle::detail {

IndexSet prescan_memo(const unsigned char* data, std::size_t size) {
  IndexSet needed(size);
  MemoCounter counter(size);
  std::size_t pos = 0;
  auto have = [&](std::size_t n) { return n <= size - pos; };
  auto line = [&](std::string_view& out) {
    const void* nl = std::memchr(data + pos, '\n', size - pos);
    if (!nl) return false;
    const std::size_t end = static_cast<std::size_t>(static_cast<const unsigned char*>(nl) - data);
    out = std::string_view(reinterpret_cast<const char*>(data + pos), end - pos);
    pos = end + 1;
    return true;
  };
  auto skip = [&](std::size_t n) {
    if (!have(n)) return false;
    pos += n;
    return true;
  };
  auto skip_arg = [&](ArgKind arg) {
    std::string_view text;
    switch (arg) {
      case ArgKind::None:
        return true;
      case ArgKind::Fixed1:
        return skip(1);
      case ArgKind::Fixed2:
        return skip(2);
      case ArgKind::Fixed4:
        return skip(4);
      case ArgKind::Fixed8:
        return skip(8);
      case ArgKind::Counted1:
        if (!have(1)) return false;
        pos += 1;
        return skip(data[pos - 1]);
      case ArgKind::Counted4:
        if (!have(4)) return false;
        pos += 4;
        return skip(le32(data + pos - 4));
      case ArgKind::Counted8: {
        if (!have(8)) return false;
        pos += 8;
        const std::uint64_t n = le64(data + pos - 8);
        if (n > size - pos) return false;
        pos += static_cast<std::size_t>(n);
        return true;
      }
      case ArgKind::Line:
        return line(text);
      case ArgKind::TwoLines:
        return line(text) && line(text);
    }
    return false;
  };
  while (pos < size) {
    const unsigned char code = data[pos++];
    std::string_view text;
    std::uint64_t idx = 0;
    switch (code) {
      case op::STOP:
        return needed;
      case op::MEMOIZE:
        counter.define(counter.next());
        break;
      case op::BINPUT:
        if (!have(1)) return needed;
        counter.define(data[pos]);
        pos += 1;
        break;
      case op::LONG_BINPUT:
        if (!have(4)) return needed;
        counter.define(le32(data + pos));
        pos += 4;
        break;
      case op::PUT:
        if (!line(text) || !parse_index(text, idx)) return needed;
        counter.define(idx);
        break;
      case op::BINGET:
        if (!have(1)) return needed;
        needed.insert(data[pos]);
        pos += 1;
        break;
      case op::LONG_BINGET:
        if (!have(4)) return needed;
        needed.insert(le32(data + pos));
        pos += 4;
        break;
      case op::GET:
        if (!line(text) || !parse_index(text, idx)) return needed;
        needed.insert(idx);
        break;
      default: {
        // Every other argument is only skipped, by its layout.
        const OpInfo* info = find_op(code);
        if (!info || !skip_arg(info->arg)) return needed;
        break;
      }
    }
  }
  return needed;
}

}  // namespace natsbench::pickle::detail
