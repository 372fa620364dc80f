// The memo prescan of pickle::load: which memo indices a later GET reads.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "pickle_memo.h"
#include "pickle_opcodes.h"
#include "pickle_wire.h"

namespace natsbench::pickle::detail {

std::size_t MemoPrescan::scan(const unsigned char* data, std::size_t size) {
  std::size_t pos = 0;
  if (skip_ > 0) {  // the rest of a long argument that began in an earlier window
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, size));
    skip_ -= n;
    pos = n;
  }
  // Each helper returns false when the window ends inside the opcode.
  auto have = [&](std::size_t n) { return n <= size - pos; };
  auto line = [&](std::string_view& out) {
    const void* nl = std::memchr(data + pos, '\n', size - pos);
    if (!nl) return false;
    const std::size_t end = static_cast<std::size_t>(static_cast<const unsigned char*>(nl) - data);
    out = std::string_view(reinterpret_cast<const char*>(data + pos), end - pos);
    pos = end + 1;
    return true;
  };
  // A counted argument is skipped across windows, so a long one is never buffered whole.
  auto skip_counted = [&](std::uint64_t n) {
    const std::uint64_t here = std::min<std::uint64_t>(n, size - pos);
    pos += static_cast<std::size_t>(here);
    skip_ = n - here;
    return true;
  };
  auto skip_arg = [&](ArgKind arg) {
    std::string_view text;
    switch (arg) {
      case ArgKind::None:
        return true;
      case ArgKind::Fixed1:
      case ArgKind::Fixed2:
      case ArgKind::Fixed4:
      case ArgKind::Fixed8: {
        const std::size_t n = arg == ArgKind::Fixed1   ? 1
                              : arg == ArgKind::Fixed2 ? 2
                              : arg == ArgKind::Fixed4 ? 4
                                                       : 8;
        if (!have(n)) return false;
        pos += n;
        return true;
      }
      case ArgKind::Counted1:
        if (!have(1)) return false;
        pos += 1;
        return skip_counted(data[pos - 1]);
      case ArgKind::Counted4:
        if (!have(4)) return false;
        pos += 4;
        return skip_counted(le32(data + pos - 4));
      case ArgKind::Counted8:
        if (!have(8)) return false;
        pos += 8;
        return skip_counted(le64(data + pos - 8));
      case ArgKind::Line:
        return line(text);
      case ArgKind::TwoLines:
        return line(text) && line(text);
    }
    return false;
  };
  while (pos < size && skip_ == 0) {
    const std::size_t start = pos;
    const unsigned char code = data[pos++];
    std::string_view text;
    std::uint64_t idx = 0;
    bool complete = true;
    switch (code) {
      case op::STOP:
        done_ = true;
        return pos;
      case op::MEMOIZE:
        counter_.define(counter_.next());
        break;
      case op::BINPUT:
        if ((complete = have(1))) counter_.define(data[pos++]);
        break;
      case op::LONG_BINPUT:
        if ((complete = have(4))) {
          counter_.define(le32(data + pos));
          pos += 4;
        }
        break;
      case op::PUT:
        if ((complete = line(text))) {
          if (!parse_index(text, idx)) {
            done_ = true;
            return start;
          }
          counter_.define(idx);
        }
        break;
      case op::BINGET:
        if ((complete = have(1))) needed_.insert(data[pos++]);
        break;
      case op::LONG_BINGET:
        if ((complete = have(4))) {
          needed_.insert(le32(data + pos));
          pos += 4;
        }
        break;
      case op::GET:
        if ((complete = line(text))) {
          if (!parse_index(text, idx)) {
            done_ = true;
            return start;
          }
          needed_.insert(idx);
        }
        break;
      default: {
        // Every other argument is only skipped, by its layout.
        const OpInfo* info = find_op(code);
        if (!info) {
          done_ = true;
          return start;
        }
        complete = skip_arg(info->arg);
        break;
      }
    }
    if (!complete) return start;
  }
  return pos;
}

IndexSet prescan_memo(const unsigned char* data, std::size_t size) {
  MemoPrescan prescan(size);
  prescan.scan(data, size);  // a window that is the whole input: stopping short is the end
  return prescan.take_needed();
}

}  // namespace natsbench::pickle::detail
