// idemload inspect FILE.parquet: what a Parquet file holds — schema (physical and logical types
// and the idemload type each column reads as), row groups, rows, codecs, encodings, sizes.
#include <algorithm>
#include <iostream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/error.h"
#include "formats/parquet/file_reader.h"

namespace idemload::cli {
namespace {

namespace pq = formats::parquet;

std::string repetition_name(const pq::SchemaElement& element) {
  if (!element.repetition) return "";
  switch (*element.repetition) {
    case pq::Repetition::kRequired: return "REQUIRED";
    case pq::Repetition::kOptional: return "OPTIONAL";
    case pq::Repetition::kRepeated: return "REPEATED";
  }
  return "";
}

nlohmann::json describe(const pq::ParquetFile& file) {
  const auto& meta = file.metadata();
  nlohmann::json doc;
  doc["file"] = file.path();
  doc["bytes"] = file.file_size();
  doc["footer_bytes"] = file.footer_size();
  doc["created_by"] = meta.created_by;
  doc["format_version"] = meta.version;
  doc["rows"] = meta.num_rows;
  doc["row_group_count"] = meta.row_groups.size();
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& column : file.columns()) {
    const auto& element = *column.element;
    nlohmann::json entry{{"name", column.name}, {"repetition", repetition_name(element)}};
    if (element.type) entry["physical_type"] = pq::physical_type_name(*element.type);
    if (element.type == pq::PhysicalType::kFixedLenByteArray) entry["type_length"] = element.type_length;
    if (element.converted_type != pq::ConvertedType::kNone) entry["converted_type"] = pq::converted_type_name(element.converted_type);
    if (element.logical_type.kind != pq::LogicalType::Kind::kNone) entry["logical_type"] = element.logical_type.to_string();
    if (column.unsupported.empty()) {
      entry["idemload_type"] = std::string(type_name(column.field.type));
      if (column.field.type == Type::kDecimal) {
        entry["precision"] = column.field.precision;
        entry["scale"] = column.field.scale;
      }
    } else {
      entry["unsupported"] = column.unsupported;
    }
    columns.push_back(std::move(entry));
  }
  doc["columns"] = std::move(columns);
  std::set<std::string> codecs, encodings;
  nlohmann::json groups = nlohmann::json::array();
  int64_t compressed_total = 0, uncompressed_total = 0;
  for (const auto& group : meta.row_groups) {
    nlohmann::json chunks = nlohmann::json::array();
    int64_t group_compressed = 0, group_uncompressed = 0;
    for (size_t leaf = 0; leaf < group.columns.size(); ++leaf) {
      const auto& chunk = group.columns[leaf].meta_data;
      std::string path;
      for (const auto& part : chunk.path_in_schema) path += (path.empty() ? "" : ".") + part;
      nlohmann::json chunk_doc{{"column", path},
                               {"codec", pq::codec_name(chunk.codec)},
                               {"values", chunk.num_values},
                               {"compressed_bytes", chunk.total_compressed_size},
                               {"uncompressed_bytes", chunk.total_uncompressed_size}};
      nlohmann::json chunk_encodings = nlohmann::json::array();
      for (int32_t encoding : chunk.encodings) {
        chunk_encodings.push_back(pq::encoding_name(encoding));
        encodings.insert(pq::encoding_name(encoding));
      }
      chunk_doc["encodings"] = std::move(chunk_encodings);
      if (chunk.statistics.null_count) chunk_doc["null_count"] = *chunk.statistics.null_count;
      codecs.insert(pq::codec_name(chunk.codec));
      group_compressed += chunk.total_compressed_size;
      group_uncompressed += chunk.total_uncompressed_size;
      chunks.push_back(std::move(chunk_doc));
    }
    compressed_total += group_compressed;
    uncompressed_total += group_uncompressed;
    groups.push_back({{"rows", group.num_rows},
                      {"compressed_bytes", group_compressed},
                      {"uncompressed_bytes", group_uncompressed},
                      {"columns", std::move(chunks)}});
  }
  doc["row_groups"] = std::move(groups);
  doc["codecs"] = codecs;
  doc["encodings"] = encodings;
  doc["compressed_bytes"] = compressed_total;
  doc["uncompressed_bytes"] = uncompressed_total;
  return doc;
}

void print_human(const nlohmann::json& doc) {
  std::cout << fmt::format("{}: {} bytes, created by {}, format version {}\n", doc["file"].get<std::string>(),
                           doc["bytes"].get<uint64_t>(), doc["created_by"].get<std::string>(), doc["format_version"].get<int>());
  std::cout << fmt::format("{} rows in {} row groups; data {} bytes compressed, {} uncompressed\n", doc["rows"].get<int64_t>(),
                           doc["row_group_count"].get<size_t>(), doc["compressed_bytes"].get<int64_t>(),
                           doc["uncompressed_bytes"].get<int64_t>());
  auto join = [](const nlohmann::json& list) {
    std::string out;
    for (const auto& item : list) out += (out.empty() ? "" : ", ") + item.get<std::string>();
    return out;
  };
  std::cout << "codecs: " << join(doc["codecs"]) << "\nencodings: " << join(doc["encodings"]) << "\n\ncolumns:\n";
  for (const auto& column : doc["columns"]) {
    std::string physical = column.value("physical_type", "group");
    if (column.contains("type_length")) physical += fmt::format("({})", column["type_length"].get<int>());
    std::string annotation = column.value("logical_type", column.value("converted_type", ""));
    std::string reads_as = column.contains("unsupported") ? "not supported (nested)" : column["idemload_type"].get<std::string>();
    if (column.contains("precision")) reads_as += fmt::format("({},{})", column["precision"].get<int>(), column["scale"].get<int>());
    std::cout << fmt::format("  {:<24} {:<22} {:<40} {:<9} -> {}\n", column["name"].get<std::string>(), physical, annotation,
                             column["repetition"].get<std::string>(), reads_as);
  }
  std::cout << "\nrow groups:\n";
  size_t group_idx = 0;
  for (const auto& group : doc["row_groups"]) {
    std::cout << fmt::format("  #{}: {} rows, {} bytes compressed, {} uncompressed\n", group_idx++, group["rows"].get<int64_t>(),
                             group["compressed_bytes"].get<int64_t>(), group["uncompressed_bytes"].get<int64_t>());
    for (const auto& chunk : group["columns"]) {
      std::string nulls = chunk.contains("null_count") ? fmt::format(", {} nulls", chunk["null_count"].get<int64_t>()) : "";
      std::cout << fmt::format("    {:<24} {:<12} {:>10} -> {:>10} bytes  {}{}\n", chunk["column"].get<std::string>(),
                               chunk["codec"].get<std::string>(), chunk["compressed_bytes"].get<int64_t>(),
                               chunk["uncompressed_bytes"].get<int64_t>(), join(chunk["encodings"]), nulls);
    }
  }
}

int run(const std::string& path, const Globals& globals) {
  pq::ParquetFile file(path, pq::open_file_source(path));
  nlohmann::json doc = describe(file);
  if (globals.json) {
    std::cout << doc.dump() << "\n";
  } else if (!globals.quiet) {
    print_human(doc);
  }
  return kExitOk;
}

const Registration kRegistration(60, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto path = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("inspect", "Show a Parquet file's schema, row groups, codecs, encodings and sizes");
  cmd->add_option("file", *path, "Parquet file")->required();
  cmd->add_flag("--json", globals.json, "Print JSON");
  cmd->callback([path, &globals, &exit_code] { exit_code = run(*path, globals); });
});

}  // namespace
}  // namespace idemload::cli
