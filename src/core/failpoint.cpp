#include "core/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "core/schema.h"
#include "core/value_text.h"

namespace idemload::failpoints {

std::atomic<bool> g_armed{false};

namespace {

constexpr size_t kPointCount = static_cast<size_t>(Point::kCount);

struct PointDef {
  const char* name;
  ErrorKind kind;
  const char* doc;
};

constexpr std::array<PointDef, kPointCount> kDefs = {{
#define IDEMLOAD_FAILPOINT_DEF(name, kind, doc) {#name, ErrorKind::kind, doc},
#include "core/failpoints.def"
#undef IDEMLOAD_FAILPOINT_DEF
}};

enum class Action { kOff, kKill, kError, kSleep, kExit };

struct State {
  Action action = Action::kOff;
  int64_t fire_at = 1;
  bool and_after = false;
  int64_t argument = 0;
  int64_t hits = 0;
};

std::mutex g_mutex;
std::array<State, kPointCount> g_states;

}  // namespace

void hit_slow(Point point) {
  State fired;
  {
    std::lock_guard lock(g_mutex);
    State& state = g_states[static_cast<size_t>(point)];
    if (state.action == Action::kOff) return;
    ++state.hits;
    bool fires = state.and_after ? state.hits >= state.fire_at : state.hits == state.fire_at;
    if (!fires) return;
    fired = state;
  }
  const PointDef& def = kDefs[static_cast<size_t>(point)];
  switch (fired.action) {
    case Action::kOff: return;
    case Action::kKill:
      ::kill(::getpid(), SIGKILL);
      ::pause();
      return;
    case Action::kExit: ::_exit(static_cast<int>(fired.argument));
    case Action::kSleep:
      std::this_thread::sleep_for(std::chrono::milliseconds(fired.argument));
      return;
    case Action::kError:
      throw Error(def.kind, {}, fmt::format("injected failure at failpoint {} (hit {})", def.name, fired.hits));
  }
}

void configure(std::string_view spec) {
  std::array<State, kPointCount> states{};
  bool any = false;
  for (const auto& part : split_list(spec, ';')) {
    size_t eq = part.find('=');
    if (eq == std::string::npos) {
      throw Error::InvalidInput(fmt::format("failpoint '{}': expected NAME=ACTION[@N]", part));
    }
    std::string name = part.substr(0, eq);
    std::string action = part.substr(eq + 1);
    size_t idx = 0;
    while (idx < kPointCount && name != kDefs[idx].name) ++idx;
    if (idx == kPointCount) {
      std::string names;
      for (const auto& def : kDefs) names += (names.empty() ? "" : ", ") + std::string(def.name);
      throw Error::InvalidInput(fmt::format("unknown failpoint '{}' (known: {})", name, names));
    }
    State state;
    size_t at = action.find('@');
    if (at != std::string::npos) {
      std::string count = action.substr(at + 1);
      if (!count.empty() && count.back() == '+') {
        state.and_after = true;
        count.pop_back();
      }
      auto n = parse_int64(count);
      if (!n || *n < 1) throw Error::InvalidInput(fmt::format("failpoint '{}': bad hit count '{}'", name, count));
      state.fire_at = *n;
      action = action.substr(0, at);
    }
    if (action == "kill") {
      state.action = Action::kKill;
    } else if (action == "error") {
      state.action = Action::kError;
    } else if (action.rfind("sleep:", 0) == 0 || action.rfind("exit:", 0) == 0) {
      bool sleep = action[0] == 's';
      auto n = parse_int64(action.substr(action.find(':') + 1));
      if (!n || *n < 0) throw Error::InvalidInput(fmt::format("failpoint '{}': bad argument in '{}'", name, action));
      state.action = sleep ? Action::kSleep : Action::kExit;
      state.argument = *n;
    } else if (action == "off") {
      state.action = Action::kOff;
    } else {
      throw Error::InvalidInput(
          fmt::format("failpoint '{}': unknown action '{}' (kill, error, sleep:MS, exit:CODE, off)", name, action));
    }
    any = any || state.action != Action::kOff;
    states[idx] = state;
  }
  std::lock_guard lock(g_mutex);
  g_states = states;
  g_armed.store(any, std::memory_order_relaxed);
}

void configure_from_env() {
  if (const char* spec = std::getenv("IDEMLOAD_FAILPOINTS"); spec != nullptr && *spec != '\0') configure(spec);
}

void reset() { configure(""); }

std::vector<Info> list() {
  std::vector<Info> out;
  for (const auto& def : kDefs) out.push_back({def.name, def.doc});
  return out;
}

}  // namespace idemload::failpoints
