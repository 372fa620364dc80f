// bz2: round trips, concatenated streams, streaming, and every kind of broken input.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "io_test_util.h"
#include "natsbench/io/bz2.h"
#include "natsbench/util/atomic_file.h"
#include "natsbench/util/error.h"

using namespace natsbench;

namespace {

// Deterministic, moderately compressible text.
std::string sample_text(std::size_t n) {
  std::string s;
  s.reserve(n);
  std::uint64_t x = 88;
  while (s.size() < n) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const unsigned r = static_cast<unsigned>(x >> 58);
    s += r < 40 ? static_cast<char>('a' + r % 26) : r < 52 ? ' ' : static_cast<char>('0' + r % 10);
  }
  return s;
}

}  // namespace

TEST_CASE("bz2 round trips", "[bz2]") {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{2500000}}) {
    const std::string data = sample_text(n);
    const std::string packed = bz2::compress(data);
    INFO("size " << n);
    CHECK(packed.substr(0, 4) == "BZh9");
    CHECK(bz2::decompress(packed) == data);
  }
  const std::string zeros(3u << 20, '\0');
  const std::string packed = bz2::compress(zeros, 1);
  CHECK(packed.substr(0, 4) == "BZh1");
  CHECK(packed.size() < 1000);
  CHECK(bz2::decompress(packed) == zeros);
  CHECK_THROWS_AS(bz2::compress("x", 0), ArgError);
  CHECK_THROWS_AS(bz2::compress("x", 10), ArgError);
}

TEST_CASE("bz2 reads concatenated streams and ignores non-bzip2 trailing bytes", "[bz2]") {
  const std::string a = sample_text(5000), b = sample_text(7000);
  CHECK(bz2::decompress(bz2::compress(a) + bz2::compress(b)) == a + b);
  CHECK(bz2::decompress(bz2::compress(a) + std::string(10, '\0')) == a);
  CHECK(bz2::decompress(bz2::compress(a) + "trailing garbage") == a);
}

TEST_CASE("bz2 Decompressor accepts any chunking", "[bz2]") {
  const std::string data = sample_text(300000);
  const std::string packed = bz2::compress(data) + bz2::compress("tail");
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    bz2::Decompressor d("chunks");
    std::string out;
    std::size_t calls = 0;
    for (std::size_t i = 0; i < packed.size(); i += step) {
      d.feed(std::string_view(packed).substr(i, step), [&](std::string_view chunk) {
        CHECK(chunk.size() <= (std::size_t{1} << 20));
        out.append(chunk);
        ++calls;
      });
    }
    d.finish();
    INFO("step " << step);
    CHECK(out == data + "tail");
    CHECK(d.bytes_in() == packed.size());
    CHECK(d.bytes_out() == out.size());
    CHECK(d.streams() == 2);
    CHECK(calls >= 2);
  }
}

TEST_CASE("bz2 reports truncated, corrupt and non-bzip2 input", "[bz2]") {
  const std::string data = sample_text(20000);
  const std::string packed = bz2::compress(data);

  CHECK_THROWS_WITH(bz2::decompress(""), "bz2: empty input (no bzip2 stream)");
  CHECK_THROWS_WITH(bz2::decompress("hello world"),
                    "bz2: not a bzip2 stream (bad magic) at compressed byte 1");
  CHECK_THROWS_WITH(bz2::decompress(packed.substr(0, 100)),
                    Catch::StartsWith("bz2: truncated stream after 100 bytes"));
  for (std::size_t n = 1; n < packed.size(); n += 97) {
    INFO("prefix " << n);
    CHECK_THROWS_WITH(bz2::decompress(packed.substr(0, n)), Catch::Contains("truncated stream"));
  }
  // A second stream cut short is an error too (it starts like a bzip2 stream).
  CHECK_THROWS_WITH(bz2::decompress(packed + packed.substr(0, 50)),
                    Catch::Contains("truncated stream"));

  std::size_t caught = 0;
  for (std::size_t i = 10; i < packed.size(); i += 31) {
    std::string bad = packed;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    try {
      const std::string out = bz2::decompress(bad);
      CHECK(out == data);  // a flip libbz2 cannot see must not change the output
    } catch (const Error& e) {
      ++caught;
      CHECK_THAT(e.what(), Catch::StartsWith("bz2: "));
    }
  }
  CHECK(caught > 0);
  std::string bad_crc = packed;
  bad_crc[packed.size() / 2] = static_cast<char>(bad_crc[packed.size() / 2] ^ 0x01);
  CHECK_THROWS_AS(bz2::decompress(bad_crc), Error);
}

TEST_CASE("bz2 files: streaming reader, whole-file buffer, errors name the path", "[bz2]") {
  const std::string dir = iotest::make_temp_dir();
  REQUIRE_FALSE(dir.empty());
  const std::string data = sample_text(3000000);
  const std::string path = dir + "/data.bz2";
  write_file_atomic(path, bz2::compress(data));

  std::string streamed;
  std::size_t chunks = 0;
  bz2::decompress_file(path, [&](std::string_view chunk) {
    streamed.append(chunk);
    ++chunks;
  });
  CHECK(streamed == data);
  CHECK(chunks >= 3);  // 1 MiB pieces

  const bz2::ByteBuffer whole = bz2::decompress_file(path);
  CHECK(whole.view() == data);

  CHECK_THROWS_WITH(bz2::decompress_file(dir + "/missing.bz2"),
                    Catch::Contains("cannot read '" + dir + "/missing.bz2'"));
  const std::string cut = dir + "/cut.bz2";
  write_file_atomic(cut, bz2::compress(data).substr(0, 5000));
  CHECK_THROWS_WITH(bz2::decompress_file(cut),
                    "bz2: '" + cut +
                        "': truncated stream after 5000 bytes (stream 1 has no "
                        "end-of-stream marker)");
  iotest::remove_tree(dir);
}

TEST_CASE("bz2 ByteBuffer grows and moves", "[bz2]") {
  bz2::ByteBuffer b;
  CHECK(b.size() == 0);
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    b.append(piece);
    expected += piece;
  }
  CHECK(b.view() == expected);
  bz2::ByteBuffer moved = std::move(b);
  CHECK(moved.view() == expected);
  CHECK(b.size() == 0);  // NOLINT: moved-from is empty
}

TEST_CASE("bz2 parallel block decoding equals the sequential decoder", "[bz2]") {
  // Level 1 = 100 kB blocks: many blocks from a few MB.
  const std::string a = sample_text(2500000), b = sample_text(700000);
  const std::string one = bz2::compress(a, 1);
  const std::string two = one + bz2::compress(b, 3) + bz2::compress("", 9);
  for (unsigned threads : {2u, 3u, 8u}) {
    INFO("threads " << threads);
    CHECK(bz2::decompress(one, threads) == a);
    CHECK(bz2::decompress(two, threads) == a + b);
    std::size_t chunks = 0;
    std::string out;
    bz2::decompress_to(
        two,
        [&](std::string_view c) {
          out.append(c);
          ++chunks;
        },
        threads);
    CHECK(out == a + b);
    CHECK(chunks >= 20);  // one per block (~29)
    // Unusual inputs take the sequential path: same results, same errors.
    CHECK(bz2::decompress(one + "trailing", threads) == a);
    CHECK_THROWS_WITH(bz2::decompress(one.substr(0, one.size() - 3), threads),
                      Catch::Contains("truncated stream"));
    std::string bad = one;
    bad[one.size() / 2] = static_cast<char>(bad[one.size() / 2] ^ 0x04);
    CHECK_THROWS_AS(bz2::decompress(bad, threads), Error);
    CHECK_THROWS_AS(bz2::decompress(bad, 1), Error);
  }
  // A sink that throws stops the workers cleanly.
  CHECK_THROWS_WITH(bz2::decompress_to(
                        one, [](std::string_view) { throw Error("stop"); }, 2),
                    "stop");

  const std::string dir = iotest::make_temp_dir();
  REQUIRE_FALSE(dir.empty());
  write_file_atomic(dir + "/two.bz2", two);
  CHECK(bz2::decompress_file(dir + "/two.bz2", 2).view() == a + b);
  std::string corrupt = two;
  corrupt[two.size() / 3] = static_cast<char>(corrupt[two.size() / 3] ^ 0x40);
  write_file_atomic(dir + "/corrupt.bz2", corrupt);
  CHECK_THROWS_WITH(bz2::decompress_file(dir + "/corrupt.bz2", 2),
                    Catch::StartsWith("bz2: '" + dir + "/corrupt.bz2': "));
  iotest::remove_tree(dir);
}

TEST_CASE("bz2 Compressor: any chunking gives the bytes of compress()", "[bz2]") {
  const std::string data = sample_text(1500000);
  const std::string whole = bz2::compress(data, 9);
  for (std::size_t step : {std::size_t{4093}, std::size_t{1} << 20}) {
    bz2::Compressor packer(9);
    std::string out;
    const bz2::Sink append = [&](std::string_view chunk) { out.append(chunk); };
    for (std::size_t at = 0; at < data.size(); at += step) {
      packer.feed(std::string_view(data).substr(at, step), append);
    }
    packer.finish(append);
    INFO("step " << step);
    CHECK(out == whole);
    CHECK_THROWS_AS(packer.finish(append), Error);
  }
  bz2::Compressor empty(1);
  std::string out;
  empty.finish([&](std::string_view chunk) { out.append(chunk); });
  CHECK(bz2::decompress(out).empty());
  CHECK_THROWS_AS(bz2::Compressor(0), ArgError);
}

TEST_CASE("AtomicFileWriter: the file appears whole on commit, never half-written", "[bz2]") {
  const std::string dir = iotest::make_temp_dir();
  REQUIRE(!dir.empty());
  const std::string path = dir + "/out.bin";
  write_file_atomic(path, "old");
  {
    AtomicFileWriter writer(path);
    writer.write("new ");
    writer.write("contents");
    // Destroyed without commit (as when an exception unwinds): the old file stays.
  }
  CHECK(read_file(path) == "old");
  {
    AtomicFileWriter writer(path);
    writer.write("new ");
    CHECK(read_file(path) == "old");
    writer.write("contents");
    writer.commit();
    CHECK_THROWS_AS(writer.write("more"), Error);
  }
  CHECK(read_file(path) == "new contents");
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);  // no temporary file left behind
  CHECK_THROWS_AS(AtomicFileWriter(dir + "/missing/dir/file"), Error);
  iotest::remove_tree(dir);
}

TEST_CASE("bz2 Compressor with threads: 8 MiB pieces as streams of their own, in order", "[bz2]") {
  const std::size_t piece = std::size_t{8} << 20;
  const std::string data = sample_text(2 * piece + 12345);
  std::string expected;
  for (std::size_t at = 0; at < data.size(); at += piece) {
    expected += bz2::compress(std::string_view(data).substr(at, piece), 9);
  }
  for (unsigned threads : {2u, 4u}) {
    bz2::Compressor packer(9, threads);
    std::string out;
    const bz2::Sink append = [&](std::string_view chunk) { out.append(chunk); };
    for (std::size_t at = 0; at < data.size(); at += 1000003) {
      packer.feed(std::string_view(data).substr(at, 1000003), append);
    }
    packer.finish(append);
    INFO("threads " << threads);
    CHECK(out == expected);
    bz2::Decompressor reader;
    std::string back;
    reader.feed(out, [&](std::string_view chunk) { back.append(chunk); });
    reader.finish();
    CHECK(reader.streams() == 3);
    CHECK(back == data);
  }
  bz2::Compressor empty(9, 2);  // no input: still one (empty) stream
  std::string out;
  empty.finish([&](std::string_view chunk) { out.append(chunk); });
  CHECK(out == bz2::compress(""));
}
