// Parsing and redacting target URLs (scheme://user:password@host:port/database?k=v).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace idemload::targets {

struct ParsedUrl {
  std::string scheme;
  std::string user;
  std::string password;
  bool has_password = false;
  std::string host;
  int port = 0;  // 0 = default
  std::string database;
  std::map<std::string, std::string> params;  // query parameters, percent-decoded
};

// Throws Error(kInvalidInput) naming the redacted URL when it does not parse.
ParsedUrl parse_url(std::string_view url);
std::string percent_decode(std::string_view text);

}  // namespace idemload::targets
