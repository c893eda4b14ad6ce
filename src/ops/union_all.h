// UnionAll: several batch streams with equal schemas read as one (SQL UNION ALL: every row of
// the first input, then every row of the second, ...; nothing is de-duplicated).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "formats/source.h"

namespace idemload::ops {

// Whether two schemas may be concatenated: the same column names and types, in the same order
// (nullability is ignored: it is a property of a table, not of the values in a batch).
bool union_compatible(const Schema& a, const Schema& b);

class UnionAll : public formats::BatchReader {
 public:
  // Takes the inputs, in order; `names` (optional, one per input) label them in messages.
  // Throws Error(kInvalidInput) when there is no input and Error(kSchemaDrift) naming the
  // first input whose schema differs from the first one's, with both schemas.
  explicit UnionAll(std::vector<std::unique_ptr<formats::BatchReader>> inputs, std::vector<std::string> names = {});

  const std::shared_ptr<const Schema>& schema() const override { return inputs_.front()->schema(); }
  // The next non-empty batch of the current input, moving on to the next input at its end.
  // The batch's schema object is that of the input it came from (equal to schema()).
  bool next(Batch& out) override;
  int64_t rows_read() const override { return rows_read_; }
  int64_t rows_rejected() const override;
  // Index of the input the last batch came from.
  size_t current_input() const { return input_idx_; }

 private:
  std::vector<std::unique_ptr<formats::BatchReader>> inputs_;
  size_t input_idx_ = 0;
  int64_t rows_read_ = 0;
};

}  // namespace idemload::ops
