// Server-free parts of the MySQL target: the LOAD DATA text format, type mapping both ways,
// key lengths and lock names.
#include "targets/mysql/mysql_dialect.h"

#include <limits>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/value_text.h"
#include "targets/mysql/mysql_connection.h"

namespace idemload::targets::mysql {
namespace {

Batch one_column(Type type) { return Batch(std::make_shared<const Schema>(Schema({Field{"c", type}}))); }

std::string infile_text(const Batch& batch) {
  std::vector<size_t> columns;
  for (size_t idx = 0; idx < batch.num_columns(); ++idx) columns.push_back(idx);
  std::string out;
  append_infile_rows(batch, columns, out);
  return out;
}

TEST(MysqlInfile, EscapesTheFormatsSpecialBytesAndWritesNullAsBackslashN) {
  Batch batch = one_column(Type::kString);
  batch.column(0).append_bytes("plain");
  batch.column(0).append_bytes(std::string("a\tb\nc\rd\\e\0f", 11));
  batch.column(0).append_bytes("");
  batch.column(0).append_null();
  batch.column(0).append_bytes("\\N");
  EXPECT_EQ(infile_text(batch), std::string("plain\na\\tb\\nc\\rd\\\\e\\0f\n\n\\N\n\\\\N\n"));
}

TEST(MysqlInfile, WritesEachTypeInAFormMysqlParses) {
  Schema schema({Field{"b", Type::kBool}, Field{"i", Type::kInt64}, Field{"d", Type::kDouble},
                 Field{"day", Type::kDate}, Field{"at", Type::kTimestamp}, Field{"tod", Type::kTime},
                 Field{"dec", Type::kDecimal}});
  Batch batch(std::make_shared<const Schema>(schema));
  batch.column(0).append_int(1);
  batch.column(1).append_int(-9223372036854775807LL - 1);
  batch.column(2).append_double(0.1);
  batch.column(3).append_int(-1);
  batch.column(4).append_int(-1);  // one microsecond before the epoch
  batch.column(5).append_int(45296789012);
  batch.column(6).append_bytes("-12.340");
  batch.column(0).append_int(0);
  batch.column(1).append_int(42);
  batch.column(2).append_double(-1e300);
  batch.column(3).append_int(20000);
  batch.column(4).append_int(1700000000000000);
  batch.column(5).append_int(0);
  batch.column(6).append_null();
  EXPECT_EQ(infile_text(batch),
            "1\t-9223372036854775808\t0.1\t1969-12-31\t1969-12-31 23:59:59.999999\t12:34:56.789012\t-12.340\n"
            "0\t42\t-1e+300\t2024-10-04\t2023-11-14 22:13:20\t00:00:00\t\\N\n");
}

TEST(MysqlInfile, RefusesNanWithTheColumnAndSourceRow) {
  Batch batch = one_column(Type::kDouble);
  batch.column(0).append_double(1.5);
  batch.column(0).append_double(std::numeric_limits<double>::quiet_NaN());
  batch.source_file = "in.csv";
  batch.source_rows = {7, 8};
  try {
    infile_text(batch);
    FAIL() << "NaN was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(error.context().column, "c");
    EXPECT_EQ(error.context().row, 8);
    EXPECT_EQ(error.context().file, "in.csv");
  }
}

TEST(MysqlTypes, CreatedTypesMapBackToTheSameType) {
  for (Type type : {Type::kBool, Type::kInt64, Type::kDouble, Type::kString, Type::kBinary, Type::kDate,
                    Type::kTimestamp, Type::kTime}) {
    for (bool is_key : {false, true}) {
      std::string sql = column_type(Field{"c", type}, is_key, 255);
      std::string data_type = sql.substr(0, sql.find('('));
      Field back = field_from_column("c", data_type, sql, 0, 0, true);
      EXPECT_EQ(back.type, type) << sql;
    }
  }
  EXPECT_EQ(column_type(Field{"c", Type::kString}, true, 255), "VARCHAR(255)");
  EXPECT_EQ(column_type(Field{"c", Type::kString}, false, 255), "LONGTEXT");
  EXPECT_EQ(column_type(Field{"c", Type::kBinary}, true, 100), "VARBINARY(100)");
  EXPECT_EQ(column_type(Field{"c", Type::kTimestamp}, false, 0), "DATETIME(6)");
  EXPECT_EQ(column_type(Field{"c", Type::kDecimal, true, 12, 3}, false, 0), "DECIMAL(12,3)");
  EXPECT_EQ(column_type(Field{"c", Type::kDecimal}, false, 0), "DECIMAL(65,30)");
  Field decimal = field_from_column("c", "decimal", "decimal(12,3)", 12, 3, false);
  EXPECT_EQ(decimal.type, Type::kDecimal);
  EXPECT_EQ(decimal.precision, 12);
  EXPECT_EQ(decimal.scale, 3);
  EXPECT_FALSE(decimal.nullable);
}

TEST(MysqlTypes, ForeignTypesMapToTheNearestOfOursAndUnknownToString) {
  EXPECT_EQ(field_from_column("c", "int", "int(10) unsigned", 10, 0, true).type, Type::kInt64);
  EXPECT_EQ(field_from_column("c", "tinyint", "tinyint(4)", 3, 0, true).type, Type::kInt64);
  EXPECT_EQ(field_from_column("c", "tinyint", "tinyint(1)", 3, 0, true).type, Type::kBool);
  EXPECT_EQ(field_from_column("c", "bit", "bit(1)", 1, 0, true).type, Type::kBool);
  EXPECT_EQ(field_from_column("c", "year", "year(4)", 0, 0, true).type, Type::kInt64);
  EXPECT_EQ(field_from_column("c", "float", "float", 12, 0, true).type, Type::kDouble);
  EXPECT_EQ(field_from_column("c", "timestamp", "timestamp(3)", 0, 0, true).type, Type::kTimestamp);
  EXPECT_EQ(field_from_column("c", "char", "char(3)", 0, 0, true).type, Type::kString);
  EXPECT_EQ(field_from_column("c", "blob", "blob", 0, 0, true).type, Type::kBinary);
  EXPECT_EQ(field_from_column("c", "enum", "enum('a','b')", 0, 0, true).type, Type::kString);
  EXPECT_EQ(field_from_column("c", "geometry", "geometry", 0, 0, true).type, Type::kString);
}

TEST(MysqlTypes, StringKeysFitInnodbsKeyLimit) {
  for (size_t keys = 1; keys <= 12; ++keys) {
    int length = key_text_length(keys);
    EXPECT_GT(length, 0);
    EXPECT_LE(static_cast<size_t>(length) * 4 * keys, 3072u) << keys;
  }
  EXPECT_EQ(key_text_length(1), 255);
  EXPECT_EQ(key_text_length(3), 255);
}

TEST(MysqlLockName, ShortNamesAreKeptLongOnesHashedToSixtyFour) {
  EXPECT_EQ(lock_name("db", "idemload:t:2017-03-29"), "db.idemload:t:2017-03-29");
  std::string base(80, 'x');
  std::string a = lock_name("db", base + "a");
  std::string b = lock_name("db", base + "b");
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(b.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, lock_name("db", base + "a"));
  EXPECT_EQ(lock_name("db", std::string(61, 'y')).size(), 64u);  // "db." + 61 fits exactly
}

TEST(MysqlErrors, ErrorNumbersMapToKinds) {
  EXPECT_EQ(kind_of_errno(2006), ErrorKind::kTargetUnavailable);  // server gone
  EXPECT_EQ(kind_of_errno(2013), ErrorKind::kTargetUnavailable);  // lost during a query
  EXPECT_EQ(kind_of_errno(1927), ErrorKind::kTargetUnavailable);  // killed
  EXPECT_EQ(kind_of_errno(4031), ErrorKind::kTargetUnavailable);  // idle timeout
  EXPECT_EQ(kind_of_errno(2003), ErrorKind::kTargetUnavailable);  // cannot connect
  EXPECT_EQ(kind_of_errno(1062), ErrorKind::kTargetConflict);     // duplicate key
  EXPECT_EQ(kind_of_errno(1213), ErrorKind::kTargetConflict);     // deadlock
  EXPECT_EQ(kind_of_errno(1205), ErrorKind::kTargetConflict);     // lock wait timeout
  EXPECT_EQ(kind_of_errno(1054), ErrorKind::kSchemaDrift);        // unknown column
  EXPECT_EQ(kind_of_errno(1064), ErrorKind::kInvalidInput);       // syntax
  EXPECT_EQ(kind_of_errno(2014), ErrorKind::kInternal);           // commands out of sync
}

}  // namespace
}  // namespace idemload::targets::mysql
