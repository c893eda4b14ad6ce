// MySQL/MariaDB dialect pieces that need no server: the column types idemload creates and how
// a table's column types map back, and the text format fed to LOAD DATA LOCAL INFILE.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/column.h"

namespace idemload::targets::mysql {

// Length of VARCHAR/VARBINARY key columns: InnoDB indexes at most 3072 bytes per key and
// utf8mb4 takes up to 4 bytes a character, so `variable_key_columns` string keys share 768
// characters (255 each for up to three; a longer string key value is refused by strict mode).
int key_text_length(size_t variable_key_columns);

// The column type for `field`: BIGINT, TINYINT(1), DOUBLE, DATE, DATETIME(6), TIME(6),
// DECIMAL(p,s) (DECIMAL(65,30) when the precision is unknown), LONGTEXT / LONGBLOB, or for key
// columns VARCHAR(n) / VARBINARY(n) with n = `key_length`.
std::string column_type(const Field& field, bool is_key, int key_length);

// Our Field for a column described by information_schema.COLUMNS: DATA_TYPE (e.g. "tinyint"),
// COLUMN_TYPE (e.g. "tinyint(1) unsigned"), NUMERIC_PRECISION/SCALE (0 when NULL). Unknown
// types map to kString.
Field field_from_column(std::string name, std::string_view data_type, std::string_view column_type, int precision,
                        int scale, bool nullable);

// Appends the rows of `batch` (the columns at `columns`, in that order) to `out` in LOAD DATA's
// default format: fields separated by TAB, rows ended by LF, '\' escapes TAB, LF, CR, NUL and
// '\' itself, and NULL written as \N. Booleans are written 1/0, temporal values in the
// canonical text forms. Throws kInvalidInput (naming the column and source row) for a NaN or
// infinite double, which MySQL cannot store.
void append_infile_rows(const Batch& batch, const std::vector<size_t>& columns, std::string& out);

}  // namespace idemload::targets::mysql
