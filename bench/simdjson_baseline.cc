// simdjson_parse_baseline: the bare simdjson DOM parse rate on an NDJSON file.
//
//   simdjson_parse_baseline FILE [--threads N] [--block-mib M]
//
// The file is split into N byte ranges cut at newline boundaries. Each thread owns one
// range, one simdjson::dom::parser and one reused, padded buffer; it reads its range with
// pread() in blocks of ~M MiB (default 8), cuts each block after its last newline (the
// remainder is carried to the front of the buffer for the next block) and hands the
// block to dom::parser::parse_many (batch size = buffer capacity, so one stage-1 pass per
// block and simdjson never starts its own stage-1 thread). Documents are only counted.
//
// Prints one JSON line on stdout:
//   {"bytes":..,"docs":..,"seconds":..,"mb_per_s":..,"threads":..,"block_bytes":..,
//    "setup_seconds":..}
// "seconds" is the wall time from before the threads start until all joined, setup
// (buffer and parser allocation) included; "setup_seconds" is the slowest thread's share
// of that spent allocating. MB = 1e6 bytes. Exit 0 ok, 1 parse/read failure, 2 usage.
#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Range {
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct Result {
  uint64_t docs = 0;
  double setup_seconds = 0;
  std::string error;  // empty when ok
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "error: %s\nusage: simdjson_parse_baseline FILE [--threads N] [--block-mib M]\n",
               msg);
  std::exit(2);
}

// Reads exactly n bytes at off (short reads are retried). False on error or early EOF.
bool pread_full(int fd, char* dst, size_t n, uint64_t off, std::string* err) {
  while (n > 0) {
    ssize_t r = ::pread(fd, dst, n, static_cast<off_t>(off));
    if (r < 0) {
      if (errno == EINTR) continue;
      *err = std::string("pread: ") + std::strerror(errno);
      return false;
    }
    if (r == 0) {
      *err = "pread: unexpected end of file (file changed while reading?)";
      return false;
    }
    dst += r;
    n -= static_cast<size_t>(r);
    off += static_cast<uint64_t>(r);
  }
  return true;
}

// Smallest b >= pos with b == size or file[b-1] == '\n': the start of the first line that
// begins at or after pos.
uint64_t line_boundary_at_or_after(int fd, uint64_t pos, uint64_t size) {
  if (pos == 0 || pos >= size) return std::min(pos, size);
  char buf[64 * 1024];
  uint64_t off = pos - 1;
  while (off < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof buf, size - off));
    std::string err;
    if (!pread_full(fd, buf, want, off, &err)) {
      std::fprintf(stderr, "error: %s\n", err.c_str());
      std::exit(1);
    }
    const void* nl = std::memchr(buf, '\n', want);
    if (nl != nullptr) return off + static_cast<uint64_t>(static_cast<const char*>(nl) - buf) + 1;
    off += want;
  }
  return size;
}

Result parse_range(int fd, Range range, size_t block) {
  Result res;
  const auto t_setup = Clock::now();
  size_t cap = block;  // capacity excluding padding; grows if one line exceeds it
  std::unique_ptr<char[]> buf(new char[cap + simdjson::SIMDJSON_PADDING]);
  simdjson::dom::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
  parser.threaded = false;  // exactly one thread per range
#endif
  if (parser.allocate(cap) != simdjson::SUCCESS) {
    res.error = "simdjson: cannot allocate parser";
    return res;
  }
  res.setup_seconds = std::chrono::duration<double>(Clock::now() - t_setup).count();

  uint64_t off = range.begin;
  size_t carry = 0;  // bytes of an incomplete line at the front of buf
  while (off < range.end || carry > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(cap - carry, range.end - off));
    if (want > 0 && !pread_full(fd, buf.get() + carry, want, off, &res.error)) return res;
    off += want;
    const size_t len = carry + want;
    size_t cut = len;  // the final block of the range is parsed whole
    if (off < range.end) {
      const char* p = buf.get();
      size_t i = len;
      while (i > 0 && p[i - 1] != '\n') --i;
      if (i == 0) {  // a single line longer than the buffer: grow and read more
        size_t ncap = cap * 2;
        std::unique_ptr<char[]> nbuf(new char[ncap + simdjson::SIMDJSON_PADDING]);
        std::memcpy(nbuf.get(), buf.get(), len);
        buf = std::move(nbuf);
        cap = ncap;
        if (parser.allocate(cap) != simdjson::SUCCESS) {
          res.error = "simdjson: cannot allocate parser";
          return res;
        }
        carry = len;
        continue;
      }
      cut = i;
    }
    // simdjson may read up to SIMDJSON_PADDING bytes past `cut`: they are either the
    // carried remainder (cut < len) or the zeroed padding after the data (cut == len);
    // both lie inside the cap + SIMDJSON_PADDING allocation.
    if (cut == len) std::memset(buf.get() + len, 0, simdjson::SIMDJSON_PADDING);
    if (cut > 0) {
      simdjson::dom::document_stream stream;
      auto err = parser.parse_many(buf.get(), cut, cap).get(stream);
      if (err) {
        res.error = std::string("simdjson: ") + simdjson::error_message(err);
        return res;
      }
      for (auto doc : stream) {
        if (doc.error()) {
          res.error = std::string("simdjson: ") + simdjson::error_message(doc.error()) +
                      " in block ending at byte " + std::to_string(off) + ", document " +
                      std::to_string(res.docs + 1) + " of range starting at byte " +
                      std::to_string(range.begin);
          return res;
        }
        ++res.docs;
      }
      if (stream.truncated_bytes() != 0) {
        res.error = "simdjson: truncated document (" + std::to_string(stream.truncated_bytes()) +
                    " bytes) at end of block ending at byte " + std::to_string(off);
        return res;
      }
    }
    // The remainder (the incomplete last line) moves to the front of the buffer.
    carry = len - cut;
    if (carry > 0) std::memmove(buf.get(), buf.get() + cut, carry);
  }
  return res;
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = nullptr;
  int threads = 2;
  size_t block_mib = 8;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> long {
      if (i + 1 >= argc) usage((std::string(name) + " needs a value").c_str());
      char* end = nullptr;
      long v = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || v <= 0) usage((std::string(name) + " needs a positive integer").c_str());
      return v;
    };
    if (a == "--threads") {
      threads = static_cast<int>(std::min(value("--threads"), 1024L));
    } else if (a == "--block-mib") {
      block_mib = static_cast<size_t>(std::min(value("--block-mib"), 4096L));
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: simdjson_parse_baseline FILE [--threads N] [--block-mib M]\n");
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      usage(("unknown option " + a).c_str());
    } else if (path == nullptr) {
      path = argv[i];
    } else {
      usage("only one FILE");
    }
  }
  if (path == nullptr) usage("FILE is required");

  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "error: open %s: %s\n", path, std::strerror(errno));
    return 1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    std::fprintf(stderr, "error: fstat %s: %s\n", path, std::strerror(errno));
    return 1;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  const auto t0 = Clock::now();
  std::vector<Range> ranges(static_cast<size_t>(threads));
  uint64_t prev = 0;
  for (int t = 0; t < threads; ++t) {
    uint64_t end =
        (t + 1 == threads)
            ? size
            : line_boundary_at_or_after(
                  fd, size * static_cast<uint64_t>(t + 1) / static_cast<uint64_t>(threads), size);
    end = std::max(end, prev);
    ranges[static_cast<size_t>(t)] = {prev, end};
    prev = end;
  }

  const size_t block = block_mib << 20;
  std::vector<Result> results(ranges.size());
  std::vector<std::thread> pool;
  pool.reserve(ranges.size());
  for (size_t t = 0; t < ranges.size(); ++t) {
    pool.emplace_back([&, t] { results[t] = parse_range(fd, ranges[t], block); });
  }
  for (auto& th : pool) th.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  ::close(fd);

  uint64_t docs = 0;
  double setup = 0;
  int rc = 0;
  for (size_t t = 0; t < results.size(); ++t) {
    if (!results[t].error.empty()) {
      std::fprintf(stderr, "error: thread %zu (bytes %" PRIu64 "..%" PRIu64 "): %s\n", t,
                   ranges[t].begin, ranges[t].end, results[t].error.c_str());
      rc = 1;
    }
    docs += results[t].docs;
    setup = std::max(setup, results[t].setup_seconds);
  }
  if (rc != 0) return rc;
  std::printf("{\"bytes\":%" PRIu64 ",\"docs\":%" PRIu64
              ",\"seconds\":%.6f,\"mb_per_s\":%.2f,\"threads\":%d,\"block_bytes\":%zu,"
              "\"setup_seconds\":%.6f}\n",
              size, docs, seconds, seconds > 0 ? static_cast<double>(size) / 1e6 / seconds : 0.0,
              threads, block, setup);
  return 0;
}
