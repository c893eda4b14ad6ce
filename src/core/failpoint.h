// Named failpoints for fault injection (the list is failpoints.def). Compiled into release
// builds; a point that is off costs one relaxed atomic load.
//
//   IDEMLOAD_FAILPOINTS="after_chunk_commit=kill@3;source_open=error"
//
// ACTION is `kill` (SIGKILL this process), `error` (throw the point's idemload::Error),
// `sleep:MS`, or `exit:CODE` (_exit without cleanup); `@N` fires on the Nth hit (default 1), `@N+`
// on the Nth and every later hit. Thread-safe.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

namespace idemload::failpoints {

enum class Point {
#define IDEMLOAD_FAILPOINT_DEF(name, kind, doc) name,
#include "core/failpoints.def"
#undef IDEMLOAD_FAILPOINT_DEF
  kCount
};

extern std::atomic<bool> g_armed;

void hit_slow(Point point);
inline void hit(Point point) {
  if (g_armed.load(std::memory_order_relaxed)) hit_slow(point);
}

// Parses and installs a specification; throws Error(kInvalidInput) naming the bad part.
void configure(std::string_view spec);
// configure(getenv("IDEMLOAD_FAILPOINTS")) when it is set.
void configure_from_env();
void reset();

struct Info {
  std::string name;
  std::string doc;
};
std::vector<Info> list();

}  // namespace idemload::failpoints

#define IDEMLOAD_FAILPOINT(name) ::idemload::failpoints::hit(::idemload::failpoints::Point::name)
