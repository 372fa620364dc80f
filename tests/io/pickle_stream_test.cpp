// pickle::load_stream: the same values (and on_dict calls) as pickle::load, whatever the input
// chunking, on the official samples, on a synthetic benchmark-like file read through the bz2
// streaming decompressor, and on a pickle whose GETs read containers (memo fallback).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "io_test_util.h"
#include "natsbench/io/bz2.h"
#include "natsbench/io/pickle.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

using namespace natsbench;
using namespace natsbench::pickle;

namespace {

template <std::size_t N>
std::string bytes_of(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// open() for load_stream over an in-memory buffer, `chunk` bytes per read; counts the opens.
std::function<ReadFn()> opener(const std::string& data, std::size_t chunk, int* opens = nullptr) {
  return [&data, chunk, opens]() -> ReadFn {
    if (opens) ++*opens;
    auto pos = std::make_shared<std::size_t>(0);
    return [&data, chunk, pos](char* buf, std::size_t cap) {
      const std::size_t n = std::min({cap, chunk, data.size() - *pos});
      std::memcpy(buf, data.data() + *pos, n);
      *pos += n;
      return n;
    };
  };
}

// open() that decompresses `compressed` with bz2::Decompressor, fed `chunk` bytes at a time.
std::function<ReadFn()> bz2_opener(const std::string& compressed, std::size_t chunk) {
  return [&compressed, chunk]() -> ReadFn {
    struct State {
      bz2::Decompressor dec;
      std::string out;
      std::size_t out_pos = 0, in_pos = 0;
    };
    auto st = std::make_shared<State>();
    return [&compressed, chunk, st](char* buf, std::size_t cap) -> std::size_t {
      while (st->out_pos == st->out.size()) {
        if (st->in_pos == compressed.size()) {
          st->dec.finish();
          return 0;
        }
        st->out.clear();
        st->out_pos = 0;
        const std::size_t n = std::min(chunk, compressed.size() - st->in_pos);
        st->dec.feed(std::string_view(compressed.data() + st->in_pos, n),
                     [&](std::string_view c) { st->out.append(c); });
        st->in_pos += n;
      }
      const std::size_t n = std::min(cap, st->out.size() - st->out_pos);
      std::memcpy(buf, st->out.data() + st->out_pos, n);
      st->out_pos += n;
      return n;
    };
  };
}

// An on_dict hook that replaces every dict holding an "eval_names" key by an int (as the
// benchmark loader turns records into native values), and counts its calls.
LoadOptions counting_options(int* calls) {
  LoadOptions options;
  options.on_dict = [calls](Value& dict) {
    ++*calls;
    if (dict.as_dict().contains("eval_names"))
      dict = Value::integer(static_cast<int>(dict.as_dict().size()));
  };
  return options;
}

}  // namespace

TEST_CASE("load_stream equals load on the official samples, any chunking", "[pickle][stream]") {
  if (iotest::reference_dir().empty()) {
    WARN("NATSBENCH_REFERENCE_DIR unset: skipping this test on the official samples");
    return;
  }
  for (const char* space : {"tss", "sss"}) {
    for (const char* name : {"meta", "000000", "000011", "000284"}) {
      INFO(space << " " << name);
      const std::string payload = bz2::decompress(read_file(iotest::sample_path(space, name)));
      const Value expected = load(payload);
      for (std::size_t chunk :
           {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{1} << 20}) {
        INFO("chunk " << chunk);
        int opens = 0;
        CHECK(load_stream(opener(payload, chunk, &opens)) == expected);
        CHECK(opens ==
              1);  // GETs only read strings, globals and the dtype (docs/archive-format.md §2.4)
      }
      int calls_mem = 0, calls_stream = 0;
      const Value hooked = load(payload, counting_options(&calls_mem));
      CHECK(load_stream(opener(payload, 333), counting_options(&calls_stream)) == hooked);
      CHECK(calls_stream == calls_mem);
      const std::string compressed = read_file(iotest::sample_path(space, name));
      CHECK(load_stream(bz2_opener(compressed, 5000)) == expected);
    }
  }
}

TEST_CASE("load_stream equals load on a synthetic benchmark file", "[pickle][stream]") {
  // A benchmark-like dict (docs/archive-format.md §3.1) built from copies of a synthetic arch
  // value: OrderedDicts, NumPy scalars (memoized globals and dtype read back by GETs), long lists,
  // a big set.
  Dict arch;
  arch.ordered = true;
  for (int hp : {12, 200}) {
    Dict record;
    record.add("name", Value::str("cifar10-valid"));
    std::vector<Value> accs;
    for (int e = 0; e < hp; ++e) accs.push_back(Value::floating(e * 0.25 + hp));
    record.add("train_acc1es", Value::list(accs));
    record.add("params", Value::numpy_float64(0.129306 + hp));
    record.add("eval_names", Value::list({Value::str("ori-test"), Value::str("x-valid")}));
    Dict results;
    results.add(Value::tuple({Value::str("cifar10-valid"), Value::integer(777)}),
                Value::dict(record));
    arch.add(std::to_string(hp), Value::dict(results));
  }
  Dict infos;
  std::vector<Value> evaluated, archs;
  for (int i = 0; i < 1200; ++i) {
    infos.add(Value::integer(i), Value::dict(arch));
    evaluated.push_back(Value::integer(i));
    archs.push_back(Value::str("|arch~" + std::to_string(i) + "|"));
  }
  Dict bench;
  bench.add("meta_archs", Value::list(archs));
  bench.add("total_archs", Value::integer(1200));
  bench.add("arch2infos", Value::dict(infos));
  bench.add("evaluated_indexes", Value::set(evaluated));
  const std::string payload = dump(Value::dict(bench));
  const Value expected = load(payload);
  CHECK(load_stream(opener(payload, 1000)) == expected);
  CHECK(load_stream(opener(payload, 1)) == expected);
  int calls_mem = 0, calls_stream = 0;
  const Value hooked = load(payload, counting_options(&calls_mem));
  CHECK(load_stream(opener(payload, 65536), counting_options(&calls_stream)) == hooked);
  CHECK(calls_stream == calls_mem);
  CHECK(calls_mem > 2 * 1200);
  const std::string compressed = bz2::compress(payload, 9);
  CHECK(load_stream(bz2_opener(compressed, 100000)) == expected);
}

TEST_CASE("load_stream rescans and re-reads keeping what is read when a GET reads a container",
          "[pickle][stream]") {
  // PROTO 4, EMPTY_LIST, MEMOIZE, BININT1 5, APPEND, BINGET 0, TUPLE2, STOP -> ([5], [5]).
  const std::string payload = bytes_of(
      "\x80\x04]\x94K\x05"
      "ah\x00\x86.");
  const Value expected = load(payload);
  REQUIRE(expected ==
          Value::tuple({Value::list({Value::integer(5)}), Value::list({Value::integer(5)})}));
  int opens = 0;
  CHECK(load_stream(opener(payload, 3, &opens)) == expected);
  CHECK(opens == 3);  // the first read, the memo prescan, the read keeping memo 0
  // Protocol 2 with BINPUT/LONG_BINPUT at sparse indices, and a GET of a string.
  const std::string p2 = bytes_of(
      "\x80\x02X\x03\x00\x00\x00"
      "abcr\x00\x00\x01\x00j\x00\x00\x01\x00\x86q\x07h\x07\x86.");
  const Value e2 = load(p2);
  opens = 0;
  CHECK(load_stream(opener(p2, 2, &opens)) == e2);
  CHECK(opens == 1);  // the tuple at memo 7 holds cheap values: kept on the first read
}

TEST_CASE("load_stream rejects what load rejects", "[pickle][stream]") {
  const std::string good = dump(Value::list({Value::str("a"), Value::floating(1.5)}));
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    const std::string part = good.substr(0, cut);
    CHECK_THROWS_AS(load_stream(opener(part, 2)), Error);
  }
  // Errors name the offset from the start of the input, as load() does.
  const std::string bad = good.substr(0, good.size() - 1) + "\xff";
  std::string mem_error, stream_error;
  try {
    load(bad);
  } catch (const Error& e) {
    mem_error = e.what();
  }
  try {
    load_stream(opener(bad, 3));
  } catch (const Error& e) {
    stream_error = e.what();
  }
  CHECK(!mem_error.empty());
  CHECK(stream_error == mem_error);
  // A reader that throws: the exception propagates.
  CHECK_THROWS_WITH(load_stream([]() -> ReadFn {
                      return [](char*, std::size_t) -> std::size_t { throw Error("boom"); };
                    }),
                    "boom");
}
