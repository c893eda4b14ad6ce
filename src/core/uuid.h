// Job IDs: UUIDv7 (RFC 9562), time-ordered, so that sorting job IDs sorts jobs by start.
#pragma once

#include <cstdint>
#include <string>

namespace idemload {

// A new UUIDv7 in its canonical 36-character form. Thread-safe.
std::string new_uuid_v7();
// Milliseconds since the Unix epoch (wall clock).
int64_t now_ms();
// "2026-11-25 09:30:00.123Z" for a millisecond time.
std::string format_time_ms(int64_t ms);

}  // namespace idemload
