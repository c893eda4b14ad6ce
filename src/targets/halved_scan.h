// A scan read on two connections at once (PostgreSQL and SQLite, for a large scope), each
// reading about half of it: the scan is cut into pieces (ranges of rowids or of pages), and a
// thread of its own and the caller's each read the next piece not yet taken, until none is left.
#pragma once

#include <cstddef>
#include <functional>

#include "core/column.h"

namespace idemload::targets {

using BatchSink = std::function<void(const Batch&)>;
// Reads piece `piece` (0 … pieces - 1) into the sink it is given.
using PieceScan = std::function<void(size_t piece, const BatchSink&)>;

// Reads pieces 0 … pieces - 1, each once: `second` on a thread of its own, `first` on this one,
// each taking the next piece not yet taken. Every batch reaches `sink` on this thread: the
// other thread's between this one's batches as they arrive, and the rest once this thread has
// no piece left. So this thread, which also runs the sink, reads fewer pieces than the other,
// and the two end together within about a piece. At most `waiting` of the other thread's
// batches wait (copies). An error on either side, or from `sink`, stops the other side and is
// rethrown here once both have stopped.
void scan_halves(size_t pieces, const PieceScan& first, const PieceScan& second, const BatchSink& sink,
                 size_t waiting);

}  // namespace idemload::targets
