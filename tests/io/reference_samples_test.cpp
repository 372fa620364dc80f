// The official sample files (read through $NATSBENCH_REFERENCE_DIR): sizes, schema and values
// of docs/archive-format.md §2.1, §3 and §5, and load -> dump -> load round trips.
#include <catch2/catch.hpp>
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

#define REQUIRE_REFERENCE_DIR()                                                        \
  if (iotest::reference_dir().empty()) {                                               \
    WARN("NATSBENCH_REFERENCE_DIR unset: skipping this test on the official samples"); \
    return;                                                                            \
  }

struct Sample {
  const char* space;
  const char* name;
  std::size_t decompressed;
};

// Spec §2.1 (per-arch sizes measured on these files).
const Sample kSamples[] = {
    {"tss", "meta", 1381555},  {"tss", "000000", 325810}, {"tss", "000011", 325802},
    {"tss", "000284", 325796}, {"sss", "meta", 536798},   {"sss", "000000", 83905},
    {"sss", "000011", 83907},  {"sss", "000284", 83911},
};

std::string decompressed(const Sample& s) {
  return bz2::decompress(read_file(iotest::sample_path(s.space, s.name)));
}

std::vector<std::string> keys(const Dict& d) {
  std::vector<std::string> out;
  for (const auto& item : d.items) out.emplace_back(item.first.as_str());
  return out;
}

Value minimal(const Value& v) {
  switch (v.type()) {
    case Type::List:
    case Type::Tuple: {
      std::vector<Value> items;
      for (const auto& x : v.as_sequence()) items.push_back(minimal(x));
      return v.is(Type::List) ? Value::list(items) : Value::tuple(items);
    }
    case Type::Dict: {
      Dict d;
      for (const auto& [k, x] : v.as_dict().items) d.add(minimal(k), minimal(x));
      return Value::dict(d);
    }
    case Type::NumpyScalar:
      return Value::floating(v.to_double());
    default:
      return v;
  }
}

}  // namespace

TEST_CASE("official samples: decompressed sizes", "[pickle][bz2]") {
  REQUIRE_REFERENCE_DIR();
  for (const auto& s : kSamples) {
    INFO(s.space << " " << s.name);
    const std::string bytes = decompressed(s);
    CHECK(bytes.size() == s.decompressed);
    CHECK(bytes.substr(0, 3) == "\x80\x04\x95");  // protocol 4, framed
    std::string streamed;
    bz2::decompress_file(iotest::sample_path(s.space, s.name),
                         [&](std::string_view chunk) { streamed.append(chunk); });
    CHECK(streamed == bytes);
  }
}

TEST_CASE("official samples: meta files (docs/archive-format.md §3.1, §5.1)", "[pickle]") {
  REQUIRE_REFERENCE_DIR();
  for (const char* space : {"tss", "sss"}) {
    INFO(space);
    const Value meta = load(decompressed({space, "meta", 0}));
    const Dict& d = meta.as_dict();
    CHECK_FALSE(d.ordered);
    CHECK(keys(d) ==
          std::vector<std::string>{"meta_archs", "total_archs", "arch2infos", "evaluated_indexes"});
    const auto& archs = meta["meta_archs"].as_list();
    const std::size_t n = std::string(space) == "tss" ? 15625 : 32768;
    CHECK(archs.size() == n);
    CHECK(meta["total_archs"].as_int() == static_cast<std::int64_t>(n));
    CHECK(meta["arch2infos"].is_none());
    CHECK(meta["evaluated_indexes"].as_set().empty());
    for (const auto& a : archs) REQUIRE(a.is(Type::Str));
    if (std::string(space) == "tss") {
      CHECK(archs[0].as_str() ==
            "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
            "skip_connect~2|");
      CHECK(archs[1234].as_str() ==
            "|nor_conv_1x1~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|");
      CHECK(archs[15624].as_str() ==
            "|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|");
    } else {
      CHECK(archs[0].as_str() == "8:8:8:8:8");
      CHECK(archs[284].as_str() == "8:8:40:32:40");
      CHECK(archs[1234].as_str() == "8:24:32:24:24");
      CHECK(archs[32767].as_str() == "64:64:64:64:64");
    }
  }
}

TEST_CASE("official samples: per-architecture files (docs/archive-format.md §3.2-§3.4)",
          "[pickle]") {
  REQUIRE_REFERENCE_DIR();
  const Value tss = load(decompressed({"tss", "000000", 0}));
  REQUIRE(tss.as_dict().ordered);
  CHECK(keys(tss.as_dict()) == std::vector<std::string>{"12", "200"});
  const Value& hp12 = tss["12"];
  CHECK_FALSE(hp12.as_dict().ordered);
  CHECK(keys(hp12.as_dict()) == std::vector<std::string>{"arch_index", "arch_str", "all_results",
                                                         "dataset_seed", "clear_net_done"});
  CHECK(hp12["arch_index"].as_int() == 0);
  CHECK(hp12["arch_str"].as_str() ==
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
        "skip_connect~2|");
  CHECK(hp12["clear_net_done"].as_bool());
  CHECK(repr(hp12["dataset_seed"]) ==
        "{'cifar10-valid': [111, 777], 'cifar10': [111], 'cifar100': [111], "
        "'ImageNet16-120': [111]}");
  const auto& all = hp12["all_results"].as_dict();
  REQUIRE(all.size() == 5);
  CHECK(repr(all.items[0].first) == "('cifar10-valid', 777)");
  CHECK(repr(all.items[1].first) == "('cifar10-valid', 111)");

  const Value& rec = *all.find(Value::tuple({Value::str("cifar10-valid"), Value::integer(777)}));
  CHECK(keys(rec.as_dict()) ==
        std::vector<std::string>{"name", "train_acc1es", "train_acc5es", "train_losses",
                                 "train_times", "arch_config", "params", "flop", "seed", "epochs",
                                 "latency", "eval_names", "eval_acc1es", "eval_times",
                                 "eval_losses", "net_state_dict"});
  CHECK(rec["name"].as_str() == "cifar10-valid");
  const auto& params = rec["params"].as_numpy_scalar();
  CHECK(params.dtype == "<f8");
  CHECK(iotest::hex(params.data) == "0b9a9658198dc03f");
  CHECK(rec["params"].to_double() == 0.129306);
  CHECK(rec["flop"].as_float() == 15.64737);
  CHECK(rec["seed"].as_str() == "0777");
  CHECK(rec["epochs"].as_int() == 12);
  REQUIRE(rec["latency"].as_list().size() == 1);
  CHECK(rec["latency"].as_list()[0].to_double() == 0.0139359758611311);
  CHECK(rec["train_times"].as_dict().ordered);
  CHECK(rec["train_times"][0].as_float() == 7.221092998981476);
  CHECK(rec["train_acc1es"][1].as_float() == 36.203999989013674);
  CHECK(rec["train_acc1es"].as_dict().size() == 12);
  CHECK(repr(rec["eval_names"]) == "['x-valid', 'ori-test']");
  CHECK(rec["eval_losses"]["ori-test@11"].as_float() == 1.0519337089538574);
  CHECK(rec["net_state_dict"].is_none());
  CHECK(repr(rec["arch_config"]).find("'channel': 16, 'num_cells': 5") != std::string::npos);

  const Value& rec200 = *tss["200"]["all_results"].as_dict().find(
      Value::tuple({Value::str("cifar100"), Value::integer(999)}));
  CHECK(rec200["train_acc5es"].is_none());
  CHECK(repr(rec200["eval_names"]) == "['ori-test', 'x-valid', 'x-test']");
  CHECK(rec200["eval_acc1es"].as_dict().size() == 202);
  CHECK(rec200["eval_times"].as_dict().size() == 600);
  CHECK(rec200["params"].to_double() == 0.135156);
  CHECK(rec200["flop"].as_float() == 15.65322);
  CHECK(rec200["arch_config"]["class_num"].as_int() == 100);

  const Value tss11 = load(decompressed({"tss", "000011", 0}));
  const Value& rec11 = *tss11["12"]["all_results"].as_dict().find(
      Value::tuple({Value::str("cifar10-valid"), Value::integer(111)}));
  CHECK(rec11["params"].to_double() == 0.802426);
  CHECK(rec11["flop"].as_float() == 113.95137);

  const Value sss = load(decompressed({"sss", "000284", 0}));
  CHECK(keys(sss.as_dict()) == std::vector<std::string>{"01", "12", "90"});
  CHECK(sss["90"]["arch_str"].as_str() == "8:8:40:32:40");
  CHECK(repr(sss["12"]["dataset_seed"]["cifar100"]) == "[777, 888, 999]");
  const Value& srec = *sss["90"]["all_results"].as_dict().find(
      Value::tuple({Value::str("ImageNet16-120"), Value::integer(777)}));
  CHECK(srec["arch_config"]["name"].as_str() == "infer.shape.tiny");
  CHECK(srec["arch_config"]["genotype"].as_str() ==
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
        "nor_conv_3x3~2|");
  CHECK(srec["params"].to_double() == 0.149344);
  CHECK(srec["flop"].as_float() == 5.461816);
  CHECK(srec["latency"].as_list()[0].to_double() == 0.02059631546338399);
}

TEST_CASE("official samples: load -> dump -> load is exact (both profiles)", "[pickle]") {
  REQUIRE_REFERENCE_DIR();
  for (const auto& s : kSamples) {
    INFO(s.space << " " << s.name);
    const Value v = load(decompressed(s));
    const std::string as_is = dump(v);
    CHECK(load(as_is) == v);
    CHECK(iotest::canon(load(as_is)) == iotest::canon(v));
    const Value m = load(dump(v, {Profile::Minimal}));
    CHECK(m == minimal(v));
  }
}

TEST_CASE("official samples: on_dict sees each record complete", "[pickle]") {
  REQUIRE_REFERENCE_DIR();
  int records = 0;
  LoadOptions options;
  options.on_dict = [&](Value& dict) {
    const Dict& d = dict.as_dict();
    if (d.size() == 16 && d.find("eval_names") && d.find("net_state_dict")) {
      ++records;
      dict = Value::native(1, std::make_shared<const int>(records));
    }
  };
  const Value v = load(decompressed({"tss", "000000", 0}), options);
  CHECK(records == 5 + 12);
  for (const auto& item : v["200"]["all_results"].as_dict().items) {
    CHECK(item.second.is(Type::Native));
  }
}

TEST_CASE("official samples: CPython reads our files as the official ones", "[pickle]") {
  REQUIRE_REFERENCE_DIR();
  std::string why;
  if (!iotest::python_available(why)) {
    WARN("skipping the CPython cross-check: " << why);
    return;
  }
  const std::string dir = iotest::make_temp_dir();
  REQUIRE_FALSE(dir.empty());
  std::string strict_args, lenient_args;
  for (const auto& s : kSamples) {
    const Value v = load(decompressed(s));
    const std::string base = dir + "/" + s.space + "-" + s.name;
    write_file_atomic(base + ".b.pickle.pbz2", bz2::compress(dump(v)));
    write_file_atomic(base + ".a.pickle", dump(v, {Profile::Minimal}));
    const std::string official = " '" + iotest::sample_path(s.space, s.name) + "'";
    strict_args += " '" + base + ".b.pickle.pbz2'" + official;
    lenient_args += " '" + base + ".a.pickle'" + official;
  }
  const std::string cmd =
      std::string(iotest::kPython) + " '" + iotest::helper_script() + "' compare";
  const auto strict = iotest::run_command(cmd + strict_args);
  INFO(strict.output);
  CHECK(strict.status == 0);
  CHECK(strict.output == "OK 8\n");
  const auto lenient = iotest::run_command(cmd + " --lenient" + lenient_args);
  INFO(lenient.output);
  CHECK(lenient.status == 0);
  CHECK(lenient.output == "OK 8\n");
  iotest::remove_tree(dir);
}
