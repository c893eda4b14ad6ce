#include "ops/union_all.h"

#include "core/error.h"

namespace idemload::ops {

bool union_compatible(const Schema& a, const Schema& b) {
  if (a.size() != b.size()) return false;
  for (size_t idx = 0; idx < a.size(); ++idx) {
    const Field& left = a.field(idx);
    const Field& right = b.field(idx);
    if (left.name != right.name || left.type != right.type || left.precision != right.precision ||
        left.scale != right.scale) {
      return false;
    }
  }
  return true;
}

UnionAll::UnionAll(std::vector<std::unique_ptr<formats::BatchReader>> inputs, std::vector<std::string> names)
    : inputs_(std::move(inputs)) {
  if (inputs_.empty()) throw Error::InvalidInput("union of no inputs");
  auto label = [&](size_t idx) {
    return idx < names.size() ? "'" + names[idx] + "'" : "input " + std::to_string(idx + 1);
  };
  const Schema& first = *inputs_.front()->schema();
  for (size_t idx = 1; idx < inputs_.size(); ++idx) {
    const Schema& other = *inputs_[idx]->schema();
    if (!union_compatible(first, other)) {
      ErrorContext context;
      if (idx < names.size()) context.file = names[idx];
      throw Error::SchemaDrift("cannot union " + label(idx) + " (" + other.to_string() + ") with " + label(0) +
                                   " (" + first.to_string() + "): the columns differ",
                               std::move(context));
    }
  }
}

bool UnionAll::next(Batch& out) {
  while (input_idx_ < inputs_.size()) {
    if (inputs_[input_idx_]->next(out)) {
      if (out.num_rows() == 0) continue;
      rows_read_ += static_cast<int64_t>(out.num_rows());
      return true;
    }
    if (input_idx_ + 1 == inputs_.size()) break;
    ++input_idx_;
  }
  out.clear();
  return false;
}

int64_t UnionAll::rows_rejected() const {
  int64_t rejected = 0;
  for (const auto& input : inputs_) rejected += input->rows_rejected();
  return rejected;
}

}  // namespace idemload::ops
