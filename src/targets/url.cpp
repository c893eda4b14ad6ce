#include "targets/url.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/value_text.h"
#include "targets/target.h"

namespace idemload::targets {

std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t idx = 0; idx < text.size(); ++idx) {
    if (text[idx] == '%' && idx + 2 < text.size() + 0 && idx + 2 <= text.size() - 1) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = hex(text[idx + 1]), lo = hex(text[idx + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        idx += 2;
        continue;
      }
    }
    out += text[idx];
  }
  return out;
}

ParsedUrl parse_url(std::string_view url) {
  ParsedUrl out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    throw Error::InvalidInput(fmt::format("cannot parse target URL '{}'", redact_url(url)));
  }
  out.scheme = std::string(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  size_t query = rest.find('?');
  if (query != std::string_view::npos) {
    std::string_view params = rest.substr(query + 1);
    rest = rest.substr(0, query);
    size_t start = 0;
    while (start < params.size()) {
      size_t end = params.find('&', start);
      if (end == std::string_view::npos) end = params.size();
      std::string_view pair = params.substr(start, end - start);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos) {
        out.params[percent_decode(pair.substr(0, eq))] = percent_decode(pair.substr(eq + 1));
      } else if (!pair.empty()) {
        out.params[percent_decode(pair)] = "";
      }
      start = end + 1;
    }
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) out.database = percent_decode(rest.substr(slash + 1));
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    out.user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) {
      out.password = percent_decode(userinfo.substr(colon + 1));
      out.has_password = true;
    }
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {  // [::1]:5432
    size_t close = host.find(']');
    if (close == std::string_view::npos) {
      throw Error::InvalidInput(fmt::format("cannot parse host in target URL '{}'", redact_url(url)));
    }
    out.host = std::string(host.substr(1, close - 1));
    host = host.substr(close + 1);
    if (!host.empty() && host.front() == ':') host.remove_prefix(1);
    else host = {};
  } else {
    size_t colon = host.rfind(':');
    out.host = percent_decode(host.substr(0, colon));
    host = colon == std::string_view::npos ? std::string_view() : host.substr(colon + 1);
  }
  if (!host.empty()) {
    auto port = parse_int64(host);
    if (!port || *port <= 0 || *port > 65535) {
      throw Error::InvalidInput(fmt::format("bad port in target URL '{}'", redact_url(url)));
    }
    out.port = static_cast<int>(*port);
  }
  return out;
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    size_t auth_start = scheme_end + 3;
    size_t auth_end = out.find_first_of("/?", auth_start);
    if (auth_end == std::string::npos) auth_end = out.size();
    size_t at = out.rfind('@', auth_end);
    if (at != std::string::npos && at >= auth_start) {
      size_t colon = out.find(':', auth_start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... in a query string or a libpq keyword string
  for (std::string_view key : {"password=", "pass=", "pwd="}) {
    size_t pos = 0;
    while ((pos = out.find(key, pos)) != std::string::npos) {
      bool boundary = pos == 0 || out[pos - 1] == '?' || out[pos - 1] == '&' || out[pos - 1] == ' ';
      size_t value = pos + key.size();
      if (!boundary) {
        pos = value;
        continue;
      }
      size_t end = out.find_first_of("& ", value);
      if (end == std::string::npos) end = out.size();
      out.replace(value, end - value, "***");
      pos = value + 3;
    }
  }
  return out;
}

}  // namespace idemload::targets
