// pickle::load - a hand-written unpickler for protocols 0-5 (plain data and NumPy only).
//
// Structure: one pass over the opcodes (prescan, pickle_memo.cpp) finds which memo indices a
// later GET reads; the main pass then keeps only those in the memo, so a big file does not hold
// a second reference to every string and container it memoized. The main pass (here) is a
// switch over the opcode byte with a value stack and a mark stack, as in CPython's _pickle.c:
// values below the last MARK are out of reach of every opcode but POP (the "fence"). The
// Reader (pickle_reader.h) decodes literals in pickle_literals.cpp and globals, REDUCE and
// BUILD in pickle_globals.cpp.
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "pickle_reader.h"

namespace natsbench::pickle {

namespace detail {

void Reader::set_items(Value& target, std::size_t from) {
  const std::size_t count = stack_.size() - from;
  if (count % 2 != 0) fail("odd number of items for " + std::string(op_name(op_)));
  auto* n = mutable_node<DictNode>(target, Type::Dict, op_name(op_));
  auto& items = n->dict.items;
  const std::size_t need = items.size() + count / 2;
  if (items.capacity() < need) items.reserve(std::max(need, items.capacity() * 2));
  for (std::size_t i = from; i < stack_.size(); i += 2) {
    depth_add(n, std::max(depth_of(stack_[i]), depth_of(stack_[i + 1])));
    items.emplace_back(std::move(stack_[i]), std::move(stack_[i + 1]));
  }
  stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(from), stack_.end());
}

void Reader::append_items(Value& target, std::size_t from, Type expected, std::string_view what) {
  auto* n = mutable_node<SeqNode>(target, expected, what);
  auto& items = n->items;
  const std::size_t need = items.size() + (stack_.size() - from);
  if (items.capacity() < need) items.reserve(std::max(need, items.capacity() * 2));
  for (std::size_t i = from; i < stack_.size(); ++i) {
    depth_add(n, depth_of(stack_[i]));
    items.push_back(std::move(stack_[i]));
  }
  stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(from), stack_.end());
}

Value Reader::run() {
  for (;;) {
    if (pos_ >= size_ && !fill(1)) {
      op_pos_ = base_ + pos_;
      op_ = 0;
      throw Error("pickle: truncated input: no STOP opcode before the end (" +
                  std::to_string(base_ + size_) + " bytes)");
    }
    op_pos_ = base_ + pos_;
    op_ = data_[pos_++];
    switch (op_) {
      // ---- framing and protocol
      case op::PROTO: {
        const unsigned proto = *take(1);
        if (proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
        break;
      }
      case op::FRAME: {
        const std::uint64_t n = le64(take(8));
        if (read_ == nullptr)
          take_length(n);  // streaming ignores frame boundaries (docs/archive-format.md §2.4)
        break;
      }
      case op::STOP:
        return pop();

      // ---- stack manipulation
      case op::MARK:
        marks_.push_back(stack_.size());
        break;
      case op::POP:
        if (!marks_.empty() && marks_.back() == stack_.size()) {
          marks_.pop_back();
        } else {
          pop();
        }
        break;
      case op::POP_MARK: {
        const std::size_t m = pop_mark();
        stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
        break;
      }
      case op::DUP: {
        Value copy = top();
        mark_shared(copy);
        push(std::move(copy));
        break;
      }

      // ---- memo
      case op::MEMOIZE:
        memo_define(memo_next(), top());
        break;
      case op::BINPUT: {
        const std::uint64_t idx = *take(1);
        memo_define(idx, top());
        break;
      }
      case op::LONG_BINPUT: {
        const std::uint64_t idx = le32(take(4));
        memo_define(idx, top());
        break;
      }
      case op::PUT: {
        std::uint64_t idx = 0;
        const std::string_view line = take_line();
        if (!parse_index(line, idx)) fail("invalid PUT index");
        memo_define(idx, top());
        break;
      }
      case op::BINGET:
      case op::LONG_BINGET:
      case op::GET: {
        std::uint64_t idx = 0;
        if (op_ == op::BINGET) {
          idx = *take(1);
        } else if (op_ == op::LONG_BINGET) {
          idx = le32(take(4));
        } else if (!parse_index(take_line(), idx)) {
          fail("invalid GET index");
        }
        const Value* v = memo_get(idx);
        if (!v) fail("memo index " + std::to_string(idx) + " not defined");
        mark_shared(*v);
        push(*v);
        break;
      }

      // ---- scalars
      case op::NONE:
        push(Value());
        break;
      case op::NEWTRUE:
        push(Value::boolean(true));
        break;
      case op::NEWFALSE:
        push(Value::boolean(false));
        break;
      case op::BININT1:
        push(Value::integer(*take(1)));
        break;
      case op::BININT2:
        push(Value::integer(le16(take(2))));
        break;
      case op::BININT:
        push(Value::integer(static_cast<std::int32_t>(le32(take(4)))));
        break;
      case op::LONG1: {
        const std::size_t n = *take(1);
        push(long_value(take(n), n));
        break;
      }
      case op::LONG4: {
        const auto n = static_cast<std::int32_t>(le32(take(4)));
        if (n < 0) fail("negative byte count");
        const std::size_t len = take_length(static_cast<std::uint64_t>(n));
        push(long_value(take(len), len));
        break;
      }
      case op::INT:
        push(int_text(take_line(), false));
        break;
      case op::LONG:
        push(int_text(take_line(), true));
        break;
      case op::BINFLOAT:
        push(Value::floating(be_double(take(8))));
        break;
      case op::FLOAT:
        push(float_text(take_line()));
        break;

      // ---- strings and bytes
      case op::SHORT_BINUNICODE: {
        const std::size_t n = *take(1);
        push(str_value(take_chars(n)));
        break;
      }
      case op::BINUNICODE: {
        const std::size_t n = take_length(le32(take(4)));
        push(str_value(take_chars(n)));
        break;
      }
      case op::BINUNICODE8: {
        const std::size_t n = take_length(le64(take(8)));
        push(str_value(take_chars(n)));
        break;
      }
      case op::UNICODE:
        push(unicode_text(take_line()));
        break;
      case op::SHORT_BINBYTES:
      case op::SHORT_BINSTRING: {
        const std::size_t n = *take(1);
        push(Value::bytes(take_chars(n)));
        break;
      }
      case op::BINBYTES: {
        const std::size_t n = take_length(le32(take(4)));
        push(Value::bytes(take_chars(n)));
        break;
      }
      case op::BINSTRING: {
        const auto n = static_cast<std::int32_t>(le32(take(4)));
        if (n < 0) fail("negative BINSTRING length");
        const std::size_t len = take_length(static_cast<std::uint64_t>(n));
        push(Value::bytes(take_chars(len)));
        break;
      }
      case op::BINBYTES8:
      case op::BYTEARRAY8: {
        const std::size_t n = take_length(le64(take(8)));
        push(Value::bytes(take_chars(n)));
        break;
      }
      case op::STRING:
        push(string_text(take_line()));
        break;

      // ---- tuples
      case op::EMPTY_TUPLE:
        push(Value::tuple());
        break;
      case op::TUPLE1:
      case op::TUPLE2:
      case op::TUPLE3: {
        const std::size_t n = static_cast<std::size_t>(op_ - op::TUPLE1 + 1);
        if (stack_.size() < fence() + n) fail("stack underflow");
        push(make_seq(Type::Tuple, stack_.size() - n));
        break;
      }
      case op::TUPLE: {
        const std::size_t m = pop_mark();
        push(make_seq(Type::Tuple, m));
        break;
      }

      // ---- lists
      case op::EMPTY_LIST:
        push(new_seq(Type::List));
        break;
      case op::LIST: {
        const std::size_t m = pop_mark();
        push(make_seq(Type::List, m));
        break;
      }
      case op::APPEND: {
        if (stack_.size() < fence() + 2) fail("stack underflow");
        append_items(stack_[stack_.size() - 2], stack_.size() - 1, Type::List, "APPEND");
        break;
      }
      case op::APPENDS: {
        const std::size_t m = pop_mark_with_target();
        if (m == stack_.size()) break;  // nothing to append
        append_items(stack_[m - 1], m, Type::List, "APPENDS");
        break;
      }

      // ---- dicts
      case op::EMPTY_DICT:
        push(new_dict(false));
        break;
      case op::DICT: {
        const std::size_t m = pop_mark();
        if ((stack_.size() - m) % 2 != 0) fail("odd number of items for DICT");
        Value d = new_dict(false);
        set_items(d, m);
        push(std::move(d));
        call_on_dict();
        break;
      }
      case op::SETITEM: {
        if (stack_.size() < fence() + 3) fail("stack underflow");
        set_items(stack_[stack_.size() - 3], stack_.size() - 2);
        call_on_dict();
        break;
      }
      case op::SETITEMS: {
        const std::size_t m = pop_mark_with_target();
        if (m == stack_.size()) break;  // nothing to add
        set_items(stack_[m - 1], m);
        call_on_dict();
        break;
      }

      // ---- sets
      case op::EMPTY_SET:
        push(new_seq(Type::Set));
        break;
      case op::ADDITEMS: {
        const std::size_t m = pop_mark_with_target();
        if (m == stack_.size()) break;
        append_items(stack_[m - 1], m, Type::Set, "ADDITEMS");
        break;
      }
      case op::FROZENSET: {
        const std::size_t m = pop_mark();
        push(make_seq(Type::Set, m));
        break;
      }

      // ---- globals and objects
      case op::GLOBAL: {
        const std::string module(take_line());  // the next take_line may move the window
        const std::string_view name = take_line();
        push(global(module, name));
        break;
      }
      case op::STACK_GLOBAL: {
        Value name = pop();
        Value module = pop();
        if (!module.is(Type::Str) || !name.is(Type::Str)) fail("STACK_GLOBAL requires two str");
        push(global(module.as_str(), name.as_str()));
        break;
      }
      case op::REDUCE: {
        Value args = pop();
        Value& callable = top();
        callable = reduce(callable, args);
        break;
      }
      case op::BUILD: {
        Value state = pop();
        build(top(), state);
        break;
      }

      case op::NEWOBJ:
      case op::NEWOBJ_EX:
      case op::INST:
      case op::OBJ:
      case op::EXT1:
      case op::EXT2:
      case op::EXT4:
      case op::PERSID:
      case op::BINPERSID:
      case op::NEXT_BUFFER:
      case op::READONLY_BUFFER:
        fail("unsupported opcode " + std::string(op_name(op_)));

      default: {
        static const char* hex = "0123456789abcdef";
        const std::string code = {'0', 'x', hex[op_ >> 4], hex[op_ & 15]};
        throw Error("pickle: unknown opcode " + code + " at byte offset " +
                    std::to_string(op_pos_));
      }
    }
  }
}

}  // namespace detail

Value load(std::string_view bytes, const LoadOptions& options) {
  if (bytes.empty()) throw Error("pickle: empty input");
  detail::Reader reader(bytes, options);
  return reader.run();
}

namespace {

// The memo indices that a GET reads in a streamed pickle, and the bytes scanned. The window
// holds one opcode at most (long arguments are skipped, not buffered).
std::pair<detail::IndexSet, std::uint64_t> prescan_stream(const ReadFn& read) {
  constexpr std::size_t kWindow = std::size_t{1} << 20;
  std::vector<unsigned char> window(kWindow);
  std::size_t held = 0;
  std::uint64_t scanned = 0;
  detail::MemoPrescan prescan(0);
  for (;;) {
    if (held == window.size()) window.resize(window.size() * 2);  // one opcode longer than it
    const std::size_t got =
        read(reinterpret_cast<char*>(window.data()) + held, window.size() - held);
    held += got;
    // Memo indices below twice the input read so far are kept in bitsets (as StreamMemo does).
    prescan.raise_limit(2 * (scanned + held) + 65536);
    const std::size_t used = prescan.scan(window.data(), held);
    scanned += used;
    std::memmove(window.data(), window.data() + used, held - used);
    held -= used;
    if (prescan.done() || got == 0) break;
  }
  return {prescan.take_needed(), scanned + held};
}

}  // namespace

Value load_stream(const std::function<ReadFn()>& open, const LoadOptions& options) {
  {
    const ReadFn read = open();
    try {
      detail::Reader reader(read, options);
      return reader.run();
    } catch (const detail::MemoDropped&) {
      // A GET of a container: find which entries are read later, and read again keeping them.
    }
  }
  auto [needed, size] = prescan_stream(open());
  const ReadFn read = open();
  detail::Reader reader(read, options, size, std::move(needed));
  return reader.run();
}

}  // namespace natsbench::pickle
