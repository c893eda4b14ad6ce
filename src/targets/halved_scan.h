// A scan read in two halves at once, on two connections (PostgreSQL and SQLite, for a large
// scope): the second half on a thread of its own, the first on the caller's.
#pragma once

#include <cstddef>
#include <functional>

#include "core/column.h"

namespace idemload::targets {

using BatchSink = std::function<void(const Batch&)>;

// Runs `second` on a thread of its own and `first` on this one, each scanning its half into the
// sink it is given. Every batch of both halves reaches `sink` on this thread: the second half's
// between the first half's batches as they arrive, and the rest after the first half ends. At
// most `waiting` of the second half's batches wait (copies). An error on either side, or from
// `sink`, stops the other side and is rethrown here once both have stopped.
void scan_halves(const std::function<void(const BatchSink&)>& first,
                 const std::function<void(const BatchSink&)>& second, const BatchSink& sink, size_t waiting);

}  // namespace idemload::targets
