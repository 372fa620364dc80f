#include "schema.h"

#include <charconv>
#include <string_view>

#include "natsbench/bench/errors.h"

namespace natsbench::bench {

namespace {

using pickle::Type;
using pickle::Value;

[[noreturn]] void corrupt(const std::string& where, const std::string& what) {
  throw CorruptFileError(where + ": " + what);
}

const pickle::Dict& dict_of(const Value& value, const std::string& where, const char* what) {
  if (!value.is(Type::Dict)) {
    corrupt(where, std::string(what) + " is a " + std::string(pickle::type_name(value.type())) +
                       ", expected a dict");
  }
  return value.as_dict();
}

// The helpers below build their error message only on failure: they run for every number of
// a benchmark file (about 300 million for the whole topology space).
std::string described(const char* what, const char* part) {
  std::string out(what);
  if (part != nullptr) out.append(" ").append(part);
  return out;
}

double number(const Value& value, const std::string& where, const char* what,
              const char* part = nullptr) {
  try {
    return value.to_double();
  } catch (const Error&) {
    corrupt(where, described(what, part) + " is a " + std::string(pickle::type_name(value.type())) +
                       ", expected a number");
  }
}

std::string_view text(const Value& value, const std::string& where, const char* what,
                      const char* part = nullptr) {
  if (!value.is(Type::Str)) {
    corrupt(where, described(what, part) + " is a " + std::string(pickle::type_name(value.type())) +
                       ", expected a str");
  }
  return value.as_str();
}

std::int64_t integer(const Value& value, const std::string& where, const char* what,
                     const char* part = nullptr) {
  if (!value.is(Type::Int)) {
    corrupt(where, described(what, part) + " is a " + std::string(pickle::type_name(value.type())) +
                       ", expected an int");
  }
  return value.as_int();
}

EpochSeries epoch_series(const Value& value, const std::string& where, const char* what) {
  EpochSeries series;
  for (const auto& [key, v] : dict_of(value, where, what).items) {
    series.push(static_cast<int>(integer(key, where, what, "key")),
                number(v, where, what, "value"));
  }
  series.compact();
  return series;
}

EvalSeries eval_series(const Value& value, const std::string& where, const char* what) {
  EvalSeries series;
  for (const auto& [key, v] : dict_of(value, where, what).items) {
    const std::string_view name = text(key, where, what, "key");
    const auto at = name.rfind('@');
    int epoch = -1;
    if (at != std::string_view::npos && at + 1 < name.size()) {
      const char* first = name.data() + at + 1;
      const char* last = name.data() + name.size();
      const auto [end, error] = std::from_chars(first, last, epoch);
      if (error != std::errc() || end != last) epoch = -1;
    }
    if (epoch < 0) {
      corrupt(where, std::string(what) + " key '" + std::string(name) +
                         "' is not of the form <set>@<epoch>");
    }
    series.push(name.substr(0, at), epoch, number(v, where, what, "value"));
  }
  series.compact();
  return series;
}

Record record_from_dict(const pickle::Dict& dict, const std::string& where) {
  Record record;
  const auto field = [&](const char* key) -> const Value* {
    const Value* v = dict.find(std::string_view(key));
    return v == nullptr || v->is_none() ? nullptr : v;
  };
  const auto required = [&](const char* key) -> const Value& {
    const Value* v = field(key);
    if (v == nullptr) corrupt(where, std::string("record has no '") + key + "'");
    return *v;
  };
  record.name = text(required("name"), where, "name");
  const std::string at = where + " record " + record.name;
  record.epochs = static_cast<int>(integer(required("epochs"), at, "epochs"));
  if (const Value* v = field("train_acc1es"))
    record.train_acc1es = epoch_series(*v, at, "train_acc1es");
  if (const Value* v = field("train_acc5es"))
    record.train_acc5es = epoch_series(*v, at, "train_acc5es");
  if (const Value* v = field("train_losses"))
    record.train_losses = epoch_series(*v, at, "train_losses");
  if (const Value* v = field("train_times"))
    record.train_times = epoch_series(*v, at, "train_times");
  if (const Value* v = field("arch_config")) {
    auto config = std::make_shared<ArchConfigDict>();
    for (const auto& [key, item] : dict_of(*v, at, "arch_config").items) {
      ConfigValue cv;
      if (item.is(Type::Int)) {
        cv.kind = ConfigValue::Kind::Int;
        cv.int_value = item.as_int();
      } else if (item.is(Type::Str)) {
        cv.kind = ConfigValue::Kind::Str;
        cv.str_value = std::string(item.as_str());
      } else if (!item.is_none()) {
        corrupt(at, "arch_config value of type " + std::string(pickle::type_name(item.type())));
      }
      config->emplace_back(text(key, at, "arch_config key"), std::move(cv));
    }
    record.arch_config = std::move(config);
  }
  if (const Value* v = field("params")) record.params = number(*v, at, "params");
  if (const Value* v = field("flop")) record.flop = number(*v, at, "flop");
  if (const Value* v = field("seed")) {
    record.seed =
        v->is(Type::Int) ? std::to_string(v->as_int()) : std::string(text(*v, at, "seed"));
  }
  if (const Value* v = field("latency")) {
    if (!v->is(Type::List)) corrupt(at, "latency is not a list");
    std::vector<double> latency;
    for (const auto& item : v->as_list()) latency.push_back(number(item, at, "latency"));
    record.latency = std::move(latency);
  }
  if (const Value* v = field("eval_names")) {
    if (!v->is(Type::List)) corrupt(at, "eval_names is not a list");
    for (const auto& item : v->as_list())
      record.eval_names.emplace_back(text(item, at, "eval_names"));
  }
  if (const Value* v = field("eval_acc1es"))
    record.eval_acc1es = eval_series(*v, at, "eval_acc1es");
  if (const Value* v = field("eval_times")) record.eval_times = eval_series(*v, at, "eval_times");
  if (const Value* v = field("eval_losses"))
    record.eval_losses = eval_series(*v, at, "eval_losses");
  record.has_weights = field("net_state_dict") != nullptr;
  return record;
}

bool looks_like_record(const pickle::Dict& dict) {
  return dict.find(std::string_view("train_acc1es")) != nullptr &&
         dict.find(std::string_view("eval_names")) != nullptr &&
         dict.find(std::string_view("epochs")) != nullptr;
}

bool looks_like_arch_result(const pickle::Dict& dict) {
  return dict.find(std::string_view("all_results")) != nullptr &&
         dict.find(std::string_view("dataset_seed")) != nullptr &&
         dict.find(std::string_view("arch_index")) != nullptr;
}

ArchResult arch_result_from_value(const Value& value, const std::string& where) {
  if (value.is(Type::Native)) {
    // Made by the load hook; moved out when unshared, as records are (record_from_value).
    const ArchResult& result = value.as_native<ArchResult>(kNativeArchResultTag);
    if (value.native_ptr().use_count() == 1) return std::move(const_cast<ArchResult&>(result));
    return result;
  }
  const auto& dict = dict_of(value, where, "arch result");
  ArchResult result;
  if (const Value* v = dict.find(std::string_view("arch_index")); v && !v->is_none()) {
    result.arch_index = static_cast<int>(integer(*v, where, "arch_index"));
  }
  if (const Value* v = dict.find(std::string_view("arch_str")); v && v->is(Type::Str)) {
    result.arch_str = std::string(v->as_str());
  }
  if (const Value* v = dict.find(std::string_view("clear_net_done")); v && !v->is_none()) {
    if (!v->is(Type::Bool)) corrupt(where, "clear_net_done is not a bool");
    result.clear_net_done = v->as_bool();
  }
  if (const Value* v = dict.find(std::string_view("dataset_seed")); v && !v->is_none()) {
    for (const auto& [key, seeds] : dict_of(*v, where, "dataset_seed").items) {
      std::vector<int> list;
      if (!seeds.is(Type::List)) corrupt(where, "dataset_seed value is not a list");
      for (const auto& seed : seeds.as_list()) {
        list.push_back(static_cast<int>(integer(seed, where, "seed")));
      }
      result.dataset_seed.emplace_back(text(key, where, "dataset_seed key"), std::move(list));
    }
  }
  std::shared_ptr<const ArchConfigDict> last_config;
  if (const Value* v = dict.find(std::string_view("all_results")); v && !v->is_none()) {
    for (const auto& [key, item] : dict_of(*v, where, "all_results").items) {
      if (!key.is(Type::Tuple) || key.as_tuple().size() != 2) {
        corrupt(where, "all_results key " + pickle::repr(key) + " is not (dataset, seed)");
      }
      const std::string dataset(text(key.as_tuple()[0], where, "all_results dataset"));
      const int seed = static_cast<int>(integer(key.as_tuple()[1], where, "all_results seed"));
      Record record = record_from_value(item, where);
      // Records of one architecture share their arch_config when equal.
      if (last_config && record.arch_config && *last_config == *record.arch_config) {
        record.arch_config = last_config;
      }
      last_config = record.arch_config;
      result.all_results.emplace(std::make_pair(dataset, seed), std::move(record));
    }
  }
  for (const auto& [dataset, seeds] : result.dataset_seed) {
    for (int seed : seeds) {
      if (result.all_results.count({dataset, seed}) == 0) {
        corrupt(where, "dataset_seed lists (" + dataset + ", " + std::to_string(seed) +
                           ") but all_results has no such record");
      }
    }
  }
  return result;
}

Value float_dict(const EpochSeries& series, bool ordered) {
  pickle::Dict dict;
  dict.ordered = ordered;
  dict.items.reserve(series.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    dict.add(Value::integer(series.key_at(i)), Value::floating(series.value_at(i)));
  }
  return Value::dict(std::move(dict));
}

Value eval_dict(const EvalSeries& series) {
  pickle::Dict dict;
  dict.items.reserve(series.size());
  for (const auto& entry : series.entries()) {
    dict.add(Value::str(*entry.set + "@" + std::to_string(entry.epoch)),
             Value::floating(entry.value));
  }
  return Value::dict(std::move(dict));
}

}  // namespace

Record record_from_value(const Value& value, const std::string& where) {
  if (value.is(Type::Native)) {
    const Record& record = value.as_native<Record>(kNativeRecordTag);
    // A record nobody else shares is moved out rather than copied: the values handed in here
    // are loader temporaries, and copying every record of a large file would briefly hold it
    // twice (a third of the peak memory of a single-file load).
    if (value.native_ptr().use_count() == 1) return std::move(const_cast<Record&>(record));
    return record;
  }
  return record_from_dict(dict_of(value, where, "record"), where);
}

pickle::LoadOptions compact_load_options(const std::string& where) {
  pickle::LoadOptions options;
  options.on_dict = [where](Value& value) {
    const auto& dict = value.as_dict();
    if (dict.size() < 3) return;
    if (looks_like_record(dict)) {
      auto record = std::make_shared<const Record>(record_from_dict(dict, where));
      value = Value::native(kNativeRecordTag, std::move(record));
    } else if (looks_like_arch_result(dict)) {
      // An architecture's results become compact as soon as they are complete, so the generic
      // tree of a large file is never held whole (peak memory).
      auto result = std::make_shared<const ArchResult>(arch_result_from_value(value, where));
      value = Value::native(kNativeArchResultTag, std::move(result));
    }
  };
  return options;
}

ArchInfo arch_info_from_value(const Value& value, const std::string& where) {
  ArchInfo info;
  for (const auto& [key, item] : dict_of(value, where, "architecture file").items) {
    info.emplace_back(text(key, where, "hp key"),
                      arch_result_from_value(item, where + " hp " + std::string(key.as_str())));
  }
  return info;
}

Value to_value(const Record& r) {
  pickle::Dict d;
  d.add("name", Value::str(r.name));
  d.add("train_acc1es", float_dict(r.train_acc1es, false));
  d.add("train_acc5es", r.train_acc5es ? float_dict(*r.train_acc5es, false) : Value::none());
  d.add("train_losses", float_dict(r.train_losses, false));
  d.add("train_times", r.train_times ? float_dict(*r.train_times, true) : Value::none());
  pickle::Dict config;
  if (r.arch_config) {
    for (const auto& [key, cv] : *r.arch_config) {
      config.add(key, cv.kind == ConfigValue::Kind::Int   ? Value::integer(cv.int_value)
                      : cv.kind == ConfigValue::Kind::Str ? Value::str(cv.str_value)
                                                          : Value::none());
    }
  }
  d.add("arch_config", Value::dict(std::move(config)));
  d.add("params", Value::numpy_float64(r.params));
  d.add("flop", Value::floating(r.flop));
  d.add("seed", Value::str(r.seed));
  d.add("epochs", Value::integer(r.epochs));
  if (r.latency) {
    std::vector<Value> items;
    for (double l : *r.latency) items.push_back(Value::numpy_float64(l));
    d.add("latency", Value::list(std::move(items)));
  } else {
    d.add("latency", Value::none());
  }
  std::vector<Value> names;
  for (const auto& name : r.eval_names) names.push_back(Value::str(name));
  d.add("eval_names", Value::list(std::move(names)));
  d.add("eval_acc1es", eval_dict(r.eval_acc1es));
  d.add("eval_times", eval_dict(r.eval_times));
  d.add("eval_losses", eval_dict(r.eval_losses));
  d.add("net_state_dict", Value::none());  // weights are never written back
  return Value::dict(std::move(d));
}

Value to_value(const ArchResult& result) {
  pickle::Dict d;
  d.add("arch_index", Value::integer(result.arch_index));
  d.add("arch_str", Value::str(result.arch_str));
  pickle::Dict all;
  for (const auto& [key, record] : result.all_results) {
    all.add(Value::tuple({Value::str(key.first), Value::integer(key.second)}), to_value(record));
  }
  d.add("all_results", Value::dict(std::move(all)));
  pickle::Dict seeds;
  for (const auto& [dataset, list] : result.dataset_seed) {
    std::vector<Value> items;
    for (int seed : list) items.push_back(Value::integer(seed));
    seeds.add(dataset, Value::list(std::move(items)));
  }
  d.add("dataset_seed", Value::dict(std::move(seeds)));
  // Weights are not kept in memory, so what is written has none: cleared.
  bool cleared = result.clear_net_done;
  for (const auto& [key, record] : result.all_results) cleared = cleared || record.has_weights;
  d.add("clear_net_done", Value::boolean(cleared));
  return Value::dict(std::move(d));
}

Value to_value(const ArchInfo& info) {
  pickle::Dict d;
  d.ordered = true;
  for (const auto& [hp, result] : info) d.add(hp, to_value(result));
  return Value::dict(std::move(d));
}

}  // namespace natsbench::bench
