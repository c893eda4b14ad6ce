// WebhookChannel against a real HTTP receiver on 127.0.0.1 (tests/receivers.h: one thread,
// answering each request with a scripted status).
#include "monitor/alerts/webhook_channel.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "receivers.h"
#include "core/error.h"

namespace idemload::monitor {
namespace {

using idemload::testing::closed_port;
using idemload::testing::HttpReceiver;

Alert sample_alert() {
  Alert alert;
  alert.key = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000:abandoned";
  alert.kind = "abandoned";
  alert.job_id = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000";
  alert.table = "edgar";
  alert.batch = "2017-06-30";
  alert.state = "abandoned";
  alert.error = "no heartbeat for 94 s; last error: \"disk full\"\nsecond line";
  alert.host = "etl-1";
  alert.occurred_at_ms = 1498780800123;
  alert.text =
      "idemload: job 0190aaaa loading edgar batch 2017-06-30 was abandoned (no heartbeat for 94 s)";
  return alert;
}

ChannelOptions fast_options() {
  ChannelOptions options;
  options.timeout_ms = 5000;
  options.retries = 2;
  options.retry_backoff_ms = 10;
  return options;
}

TEST(WebhookChannel, PostsAlertJsonWithTextField) {
  HttpReceiver receiver({200});
  WebhookChannel channel(receiver.url("/hooks/T000/B000/secret-token?x=1"), fast_options());
  channel.deliver(sample_alert());

  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/hooks/T000/B000/secret-token?x=1");
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  auto body = nlohmann::json::parse(requests[0].body);
  Alert expected = sample_alert();
  EXPECT_EQ(body["text"], expected.text);
  EXPECT_EQ(body["key"], expected.key);
  EXPECT_EQ(body["kind"], "abandoned");
  EXPECT_EQ(body["job_id"], expected.job_id);
  EXPECT_EQ(body["table"], "edgar");
  EXPECT_EQ(body["batch"], "2017-06-30");
  EXPECT_EQ(body["error"], expected.error);  // quotes and newline survive the JSON round trip
  EXPECT_EQ(body["occurred_at_ms"], 1498780800123);
  EXPECT_EQ(body["occurred_at"], "2017-06-30T00:00:00.123Z");
  EXPECT_EQ(Alert::from_json(body).to_json(), body);
}

TEST(WebhookChannel, RetriesAfterServerErrorAndDeliversOnce) {
  HttpReceiver receiver({500, 200});
  WebhookChannel channel(receiver.url("/hook"), fast_options());
  channel.deliver(sample_alert());
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);  // the failed attempt, then the one that delivered
  EXPECT_EQ(requests[0].body, requests[1].body);
}

TEST(WebhookChannel, GivesUpAfterRetriesOnPersistentServerError) {
  HttpReceiver receiver({503});
  ChannelOptions options = fast_options();
  options.retries = 1;
  WebhookChannel channel(receiver.url("/hook"), options);
  try {
    channel.deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable);
    EXPECT_NE(std::string(error.what()).find("2 attempts"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("HTTP 503"), std::string::npos) << error.what();
  }
  EXPECT_EQ(receiver.requests().size(), 2u);
}

TEST(WebhookChannel, ClientErrorIsNotRetried) {
  HttpReceiver receiver({404, 200});
  WebhookChannel channel(receiver.url("/hook"), fast_options());
  try {
    channel.deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(error.what()).find("HTTP 404: scripted failure"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST(WebhookChannel, ReceiverDownThrowsWithoutLeakingSecrets) {
  int port = closed_port();
  std::string url =
      "http://hookuser:s3cr3t-pass@127.0.0.1:" + std::to_string(port) + "/services/T1/B2/tok3n";
  WebhookChannel channel(url, fast_options());
  EXPECT_EQ(channel.describe(), "webhook http://127.0.0.1:" + std::to_string(port) + "/***");
  try {
    channel.deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable);
    EXPECT_NE(message.find("3 attempts"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cr3t-pass"), std::string::npos) << message;
    EXPECT_EQ(message.find("tok3n"), std::string::npos) << message;
  }
}

TEST(WebhookChannel, HungReceiverTimesOut) {
  HttpReceiver receiver({200}, /*answer=*/false);
  ChannelOptions options = fast_options();
  options.timeout_ms = 300;
  options.retries = 0;
  WebhookChannel channel(receiver.url("/hook"), options);
  try {
    channel.deliver(sample_alert());
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kTargetUnavailable);
    EXPECT_NE(std::string(error.what()).find("timed out"), std::string::npos) << error.what();
  }
}

TEST(WebhookChannel, RejectsNonHttpUrls) {
  for (const char* url :
       {"ftp://example.org/x", "file:///etc/passwd", "example.org/hook", "http:///nohost"}) {
    try {
      WebhookChannel channel(url, fast_options());
      FAIL() << url << " should be rejected";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput) << url;
    }
  }
}

}  // namespace
}  // namespace idemload::monitor
