#include "natsbench/data/splits.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "natsbench/space/cpython_random.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

namespace natsbench::data {

namespace {

// A tiny scanner over the restricted JSON of the config format, tracking the line number.
class Scanner {
 public:
  Scanner(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  [[noreturn]] void fail(const std::string& expected) const {
    std::string found = "end of file";
    if (pos_ < text_.size()) {
      found = "'" + std::string(text_.substr(pos_, std::min<std::size_t>(12, text_.size() - pos_)));
      found += "'";
    }
    throw Error("split/config file '" + name_ + "', line " + std::to_string(line_) + ": expected " +
                expected + ", found " + found);
  }

  void skip_space() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        break;
      }
      ++pos_;
    }
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c, const std::string& what) {
    if (!peek(c)) fail(what);
    ++pos_;
  }
  std::string string(const std::string& what) {
    if (!peek('"')) fail(what);
    ++pos_;
    std::string out;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') fail("a closing '\"'");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (pos_ >= text_.size()) fail("an escape character");
        const char e = text_[pos_++];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          default:
            --pos_;
            fail("one of the escapes \\\" \\\\ \\/ \\n \\t");
        }
      } else {
        out += c;
      }
    }
  }
  bool at_end() {
    skip_space();
    return pos_ >= text_.size();
  }
  int line() const { return line_; }

 private:
  std::string_view text_;
  const std::string& name_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

bool parse_nonnegative(const std::string& s, std::int64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// §3.1 conversions: int -> integer, float -> double, bool -> integer, none -> "none" in any
// case; str -> anything.
bool value_matches(const std::string& type, const std::string& v) {
  if (type == "str") return true;
  if (type == "none") {
    std::string lower = v;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower == "none";
  }
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  if (type == "float") {
    std::strtod(v.c_str(), &end);
  } else {  // int, bool
    std::strtoll(v.c_str(), &end, 10);
  }
  return errno == 0 && end == v.c_str() + v.size() &&
         !std::isspace(static_cast<unsigned char>(v[0]));
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string strip_txt(std::string_view name) {
  std::string s(name);
  if (s.size() > 4 && s.compare(s.size() - 4, 4, ".txt") == 0) s.resize(s.size() - 4);
  return s;
}

}  // namespace

std::vector<ConfigEntry> parse_config(std::string_view text, const std::string& name) {
  Scanner in(text, name);
  std::vector<ConfigEntry> entries;
  in.expect('{', "'{' (a JSON object)");
  if (in.peek('}')) {
    in.expect('}', "'}'");
  } else {
    while (true) {
      ConfigEntry e;
      e.key = in.string("a quoted key");
      for (const auto& other : entries) {
        if (other.key == e.key) in.fail("a new key, not a second \"" + e.key + "\"");
      }
      in.expect(':', "':' after the key \"" + e.key + "\"");
      in.expect('[', "'[' opening the [type, value] pair of \"" + e.key + "\"");
      const int type_line = in.line();
      e.type = in.string("a quoted type (str, int, bool, float or none)");
      if (e.type != "str" && e.type != "int" && e.type != "bool" && e.type != "float" &&
          e.type != "none") {
        throw Error("split/config file '" + name + "', line " + std::to_string(type_line) +
                    ": type \"" + e.type + "\" of \"" + e.key +
                    "\": expected str, int, bool, float or none");
      }
      in.expect(',', "',' after the type");
      if (in.peek('[')) {
        in.expect('[', "'['");
        e.is_list = true;
        if (!in.peek(']')) {
          while (true) {
            e.values.push_back(in.string("a quoted list element"));
            if (in.peek(']')) break;
            in.expect(',', "',' or ']' in the list of \"" + e.key + "\"");
          }
        }
        in.expect(']', "']'");
      } else {
        e.values.push_back(in.string("a quoted value or a list of quoted values"));
      }
      in.expect(']', "']' closing the [type, value] pair of \"" + e.key + "\"");
      for (std::size_t i = 0; i < e.values.size(); ++i) {
        if (!value_matches(e.type, e.values[i])) {
          throw Error("split/config file '" + name + "', line " + std::to_string(type_line) +
                      ": value \"" + e.values[i] + "\" of \"" + e.key + "\"" +
                      (e.is_list ? "[" + std::to_string(i) + "]" : "") + " is not a valid " +
                      e.type);
        }
      }
      entries.push_back(std::move(e));
      if (in.peek('}')) break;
      in.expect(',', "',' or '}' after an entry");
    }
    in.expect('}', "'}'");
  }
  if (!in.at_end()) in.fail("nothing after the closing '}'");
  return entries;
}

const std::vector<std::int64_t>& SplitFile::at(std::string_view key) const {
  for (const auto& [k, v] : lists) {
    if (k == key) return v;
  }
  std::string present;
  for (const auto& [k, v] : lists) present += (present.empty() ? "" : ", ") + k;
  throw Error("split has no list \"" + std::string(key) + "\" (it has: " + present + ")");
}

bool SplitFile::contains(std::string_view key) const {
  return std::any_of(lists.begin(), lists.end(), [&](const auto& kv) { return kv.first == key; });
}

SplitFile parse_split(std::string_view text, const std::string& name) {
  SplitFile split;
  for (auto& e : parse_config(text, name)) {
    if (e.type != "int" || !e.is_list) {
      throw Error("split file '" + name + "': entry \"" + e.key +
                  "\" must be [\"int\", [...]] (a list of indexes), got type " + e.type +
                  (e.is_list ? " list" : " scalar"));
    }
    std::vector<std::int64_t> list;
    list.reserve(e.values.size());
    for (std::size_t i = 0; i < e.values.size(); ++i) {
      std::int64_t v;
      if (!parse_nonnegative(e.values[i], v)) {
        throw Error("split file '" + name + "': \"" + e.key + "\"[" + std::to_string(i) + "] = \"" +
                    e.values[i] + "\": expected a non-negative decimal integer");
      }
      if (!list.empty() && v <= list.back()) {
        throw Error("split file '" + name + "': \"" + e.key + "\"[" + std::to_string(i) +
                    "] = " + std::to_string(v) + " after " + std::to_string(list.back()) +
                    ": expected a strictly increasing list");
      }
      list.push_back(v);
    }
    split.lists.emplace_back(std::move(e.key), std::move(list));
  }
  return split;
}

SplitFile read_split_file(const std::string& path) {
  return parse_split(read_file(path), path);
}

std::string format_split(const SplitFile& split) {
  std::string out = "{\n";
  bool first = true;
  for (const auto& [key, list] : split.lists) {
    if (!first) out += ",\n";
    first = false;
    out += "  " + pad("\"" + key + "\"", 20) + " : [" + pad("\"int\"", 8) + ", [";
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out += ", ";
      out += '"';
      out += std::to_string(list[i]);
      out += '"';
    }
    out += "]]";
  }
  out += "\n}";
  return out;
}

void write_split_file(const std::string& path, const SplitFile& split) {
  write_file_atomic(path, format_split(split));
}

SplitFile generate_shuffle_split(std::uint64_t seed, std::int64_t n, const std::string& first_key,
                                 const std::string& second_key) {
  if (n < 0 || n >= (std::int64_t{1} << 32)) {
    throw ArgError("split size " + std::to_string(n) + ": expected 0..2^32-1");
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  CPythonRandom random(seed);
  random.shuffle(order);
  const auto half = order.begin() + n / 2;
  std::vector<std::int64_t> a(order.begin(), half), b(half, order.end());
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  SplitFile split;
  split.lists.emplace_back(first_key, std::move(a));
  split.lists.emplace_back(second_key, std::move(b));
  return split;
}

void check_partition(const SplitFile& split, std::string_view a, std::string_view b, std::int64_t n,
                     const std::string& name) {
  const auto& la = split.at(a);
  const auto& lb = split.at(b);
  std::size_t i = 0, j = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    const bool in_a = i < la.size() && la[i] == k;
    const bool in_b = j < lb.size() && lb[j] == k;
    if (in_a && in_b) {
      throw Error("split '" + name + "': index " + std::to_string(k) + " is in both \"" +
                  std::string(a) + "\" and \"" + std::string(b) + "\"");
    }
    if (!in_a && !in_b) {
      throw Error("split '" + name + "': index " + std::to_string(k) + " is in neither \"" +
                  std::string(a) + "\" nor \"" + std::string(b) + "\" (expected them to cover 0.." +
                  std::to_string(n - 1) + ")");
    }
    i += in_a;
    j += in_b;
  }
  if (i < la.size() || j < lb.size()) {
    const std::int64_t bad = i < la.size() ? la[i] : lb[j];
    throw Error("split '" + name + "': index " + std::to_string(bad) + " is beyond the set of " +
                std::to_string(n) + " images (expected 0.." + std::to_string(n - 1) + ")");
  }
}

const std::vector<SplitInfo>& official_splits() {
  static const std::vector<SplitInfo> infos = {
      {"cifar-split.txt", "train", "valid", 25000, 25000, 50000, "2da7627956f17981dc0b841ab8385f37",
       1021, true},
      {"cifar100-test-split.txt", "xvalid", "xtest", 5000, 5000, 10000,
       "16f51963f0ccd95cb6c08c33ca4c1665", 0, false},
      {"imagenet-16-120-test-split.txt", "xvalid", "xtest", 3000, 3000, 6000,
       "670c7749b090d2e937e20d10e811be22", 0, false},
      {"ImageNet16-120-split.txt", "train", "valid", 75850, 75850, 151700,
       "106aae0b5917ef58b972ba74a5e9d164", 111, true},
  };
  return infos;
}

const SplitInfo& split_info(std::string_view name) {
  const std::string stem = strip_txt(name);
  std::string known;
  for (const auto& info : official_splits()) {
    if (strip_txt(info.file) == stem) return info;
    known += (known.empty() ? "" : ", ") + strip_txt(info.file);
  }
  throw ArgError("split '" + std::string(name) + "': expected one of " + known);
}

SplitFile generate_official_split(std::string_view name) {
  const SplitInfo& info = split_info(name);
  if (!info.regenerable) {
    throw Error("split '" + std::string(info.file) +
                "' cannot be regenerated (its seed is unknown, docs/training.md §3.4): get it "
                "from AutoDL-Projects configs/nas-benchmark/");
  }
  return generate_shuffle_split(info.seed, info.indexes_into, std::string(info.first_key),
                                std::string(info.second_key));
}

SplitFile load_official_split(std::string_view name, const std::string& dir) {
  const SplitInfo& info = split_info(name);
  const std::string file(info.file);
  if (!dir.empty()) {
    const auto path = (std::filesystem::path(dir) / file).string();
    if (std::filesystem::exists(path)) {
      SplitFile split = read_split_file(path);
      const std::string a(info.first_key), b(info.second_key);
      for (const std::string& key : {a, b}) {
        if (!split.contains(key)) throw Error("split file '" + path + "': no list \"" + key + "\"");
      }
      // The lists must partition 0..n-1; n is the official size for the official data, smaller
      // for a split written for fake data (make-fake-data). The data stage checks n.
      check_partition(split, a, b, split.at(a).size() + split.at(b).size(), path);
      return split;
    }
  }
  if (info.regenerable) return generate_official_split(name);
  throw Error("split file '" + file + "' not found" +
              (dir.empty() ? std::string(" (no split directory given)") : " in '" + dir + "'") +
              ": it cannot be regenerated (docs/training.md §3.4); copy it from AutoDL-Projects "
              "configs/nas-benchmark/" +
              file + " into that directory");
}

}  // namespace natsbench::data
