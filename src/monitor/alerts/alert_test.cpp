// Alert's JSON form and make_channel's spec parsing.
#include "monitor/alerts/alert.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace idemload::monitor {
namespace {

ErrorKind kind_of(const std::string& spec, const ChannelOptions& options = {}) {
  try {
    make_channel(spec, options);
  } catch (const Error& error) {
    return error.kind();
  }
  return ErrorKind::kInternal;  // "did not throw"
}

TEST(Alert, JsonRoundTrip) {
  Alert alert;
  alert.key = "j1:failed";
  alert.kind = "failed";
  alert.job_id = "j1";
  alert.table = "edgar";
  alert.batch = "2017-06-30";
  alert.state = "failed";
  alert.error = "quote \" backslash \\ newline \n tab \t unicode ✓";
  alert.host = "etl-1";
  alert.occurred_at_ms = -1500;  // before the epoch still formats
  alert.text = "line";
  nlohmann::json json = alert.to_json();
  EXPECT_EQ(json["occurred_at"], "1969-12-31T23:59:58.500Z");
  Alert back = Alert::from_json(nlohmann::json::parse(json.dump()));
  EXPECT_EQ(back.to_json(), json);
  EXPECT_EQ(back.error, alert.error);
  EXPECT_EQ(back.occurred_at_ms, -1500);
}

TEST(Alert, FromJsonRejectsWrongTypes) {
  EXPECT_THROW(Alert::from_json(nlohmann::json::array()), Error);
  EXPECT_THROW(Alert::from_json(nlohmann::json{{"job_id", 5}}), Error);
  EXPECT_THROW(Alert::from_json(nlohmann::json{{"occurred_at_ms", "soon"}}), Error);
  EXPECT_EQ(Alert::from_json(nlohmann::json{{"job_id", "x"}}).job_id, "x");
}

TEST(Alert, SummaryFallsBackToFields) {
  Alert alert;
  alert.job_id = "j1";
  alert.table = "edgar";
  alert.batch = "b1";
  alert.state = "abandoned";
  alert.error = "no heartbeat";
  EXPECT_EQ(alert.summary(), "idemload: job j1 loading edgar batch b1 is abandoned: no heartbeat");
  EXPECT_EQ(alert.to_json()["text"], alert.summary());
  Alert missing;
  missing.kind = "missing";
  missing.table = "edgar";
  EXPECT_EQ(missing.summary(), "idemload: table edgar missing");
  alert.text = "custom";
  EXPECT_EQ(alert.summary(), "custom");
}

TEST(MakeChannel, ParsesEachKind) {
  ChannelOptions options;
  options.smtp_url = "smtp://mail.example:587";
  EXPECT_EQ(make_channel("webhook:https://hooks.example/T/B/token", options)->describe(),
            "webhook https://hooks.example/***");
  EXPECT_EQ(make_channel("email:a@x.example,b@y.example", options)->describe(),
            "email a@x.example,b@y.example via smtp://mail.example:587");
  EXPECT_EQ(make_channel("command:/usr/bin/logger  -t idemload", options)->describe(),
            "command /usr/bin/logger -t idemload");
}

TEST(MakeChannel, RejectsBadSpecs) {
  for (const char* spec : {"", "slack:https://x", "webhook:", "email:", "command:", "command:   ",
                           "webhook", "webhook:not a url", "sms:+123"}) {
    EXPECT_EQ(kind_of(spec), ErrorKind::kInvalidInput) << spec;
  }
  EXPECT_EQ(kind_of("email:a@x.example"), ErrorKind::kInvalidInput);  // no smtp_url
}

TEST(MakeChannel, ErrorsNeverEchoAPassword) {
  for (const char* spec :
       {"hook:https://user:hunter2@x.example/p", "webhook:ftp://user:hunter2@x.example/"}) {
    try {
      make_channel(spec, {});
      FAIL() << spec;
    } catch (const Error& error) {
      EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace idemload::monitor
