// CommandChannel running real programs: the alert reaches them verbatim on stdin and in the
// environment, and nothing in it is ever executed by a shell.
#include "monitor/alerts/command_channel.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_util.h"

namespace idemload::monitor {
namespace {

using idemload::testing::read_file;
using idemload::testing::TempDir;
using idemload::testing::write_file;

// Writes an executable /bin/sh script. The script quotes every expansion ("$VAR"), so it
// copies values without running them, as a careful user's script would.
std::string write_script(const TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.file(name);
  write_file(path, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
  return path;
}

ChannelOptions options_with_timeout(int timeout_ms) {
  ChannelOptions options;
  options.timeout_ms = timeout_ms;
  return options;
}

struct HostileAlert {
  std::string marker_a;
  std::string marker_b;
  std::string marker_c;
  Alert alert;
};

// An alert whose error text would create marker files if any shell evaluated it.
HostileAlert hostile_alert(const TempDir& dir) {
  HostileAlert hostile;
  hostile.marker_a = dir.file("PWNED-a");
  hostile.marker_b = dir.file("PWNED-b");
  hostile.marker_c = "/tmp/PWNED-x-" + std::to_string(::getpid());
  std::filesystem::remove(hostile.marker_c);
  Alert& alert = hostile.alert;
  alert.key = "job-1:failed";
  alert.kind = "failed";
  alert.job_id = "job-1";
  alert.table = "edgar";
  alert.batch = "2017-06-30";
  alert.state = "failed";
  alert.error = "it's \"bad\" $(touch " + hostile.marker_a + ") `touch " + hostile.marker_b +
                "`\nline two; touch " + hostile.marker_c + " && echo $(touch " + hostile.marker_c +
                ") | sh\n\ttabbed \\ backslash 'single' ${HOME} %s %n";
  alert.host = "etl-1";
  alert.occurred_at_ms = 1700000000000;
  alert.text = "idemload: job job-1 loading edgar batch 2017-06-30 failed: " + alert.error;
  return hostile;
}

void expect_no_markers(const HostileAlert& hostile) {
  EXPECT_FALSE(std::filesystem::exists(hostile.marker_a));
  EXPECT_FALSE(std::filesystem::exists(hostile.marker_b));
  EXPECT_FALSE(std::filesystem::exists(hostile.marker_c));
}

TEST(CommandChannel, HostileTextReachesCommandVerbatimAndIsNeverExecuted) {
  TempDir dir;
  std::string out = dir.path().string();
  std::string script = write_script(
      dir, "receiver.sh",
      "cat > \"$1/stdin.json\"\n"
      "printf '%s' \"$IDEMLOAD_ALERT_ERROR\" > \"$1/error.txt\"\n"
      "printf '%s' \"$IDEMLOAD_ALERT_TEXT\" > \"$1/text.txt\"\n"
      "printf '%s|%s|%s|%s|%s|%s|%s' \"$IDEMLOAD_ALERT_KIND\" \"$IDEMLOAD_ALERT_JOB_ID\" "
      "\"$IDEMLOAD_ALERT_TABLE\" \"$IDEMLOAD_ALERT_BATCH\" \"$IDEMLOAD_ALERT_STATE\" "
      "\"$IDEMLOAD_ALERT_KEY\" \"$IDEMLOAD_ALERT_OCCURRED_AT_MS\" > \"$1/fields.txt\"\n"
      "printf '%s\\n' \"$@\" > \"$1/args.txt\"\n");
  HostileAlert hostile = hostile_alert(dir);
  auto channel =
      make_channel("command:" + script + " " + out + " $(touch " + hostile.marker_a + ")",
                   options_with_timeout(10000));
  channel->deliver(hostile.alert);

  auto json = nlohmann::json::parse(read_file(dir.file("stdin.json")));
  EXPECT_EQ(json["error"], hostile.alert.error);
  EXPECT_EQ(json["text"], hostile.alert.text);
  EXPECT_EQ(read_file(dir.file("error.txt")), hostile.alert.error);
  EXPECT_EQ(read_file(dir.file("text.txt")), hostile.alert.text);
  EXPECT_EQ(read_file(dir.file("fields.txt")),
            "failed|job-1|edgar|2017-06-30|failed|job-1:failed|1700000000000");
  // Arguments are split on spaces and passed literally: "$(touch" and "…)" are two words.
  EXPECT_EQ(read_file(dir.file("args.txt")), out + "\n$(touch\n" + hostile.marker_a + ")\n");
  expect_no_markers(hostile);
}

TEST(CommandChannel, ShellModeRunsTheConfiguredLineButNotTheAlertText) {
  TempDir dir;
  HostileAlert hostile = hostile_alert(dir);
  ChannelOptions options = options_with_timeout(10000);
  options.allow_shell = true;
  // Shell syntax in the configured line works (redirection, a pipe); the alert arrives as data.
  std::string line = "printf '%s' \"$IDEMLOAD_ALERT_ERROR\" > " + dir.file("error.txt") +
                     " && cat | wc -c > " + dir.file("stdin-bytes.txt");
  auto channel = make_channel("command:" + line, options);
  EXPECT_EQ(channel->describe(), "command (shell) " + line);
  channel->deliver(hostile.alert);
  EXPECT_EQ(read_file(dir.file("error.txt")), hostile.alert.error);
  std::string expected_bytes = std::to_string(hostile.alert.to_json().dump().size() + 1);
  EXPECT_EQ(std::stoul(read_file(dir.file("stdin-bytes.txt"))), std::stoul(expected_bytes));
  expect_no_markers(hostile);
}

TEST(CommandChannel, WithoutShellRedirectionIsJustAnArgument) {
  TempDir dir;
  auto channel = make_channel("command:/bin/echo hello > " + dir.file("made-by-shell.txt"),
                              options_with_timeout(10000));
  channel->deliver(hostile_alert(dir).alert);
  EXPECT_FALSE(std::filesystem::exists(dir.file("made-by-shell.txt")));
}

TEST(CommandChannel, NonZeroExitThrowsWithStderrTail) {
  TempDir dir;
  std::string script =
      write_script(dir, "fail.sh", "echo 'pager service said: quota exceeded' >&2\nexit 3\n");
  CommandChannel channel(script, options_with_timeout(10000));
  try {
    channel.deliver(hostile_alert(dir).alert);
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_NE(message.find("exited with status 3"), std::string::npos) << message;
    EXPECT_NE(message.find("pager service said: quota exceeded"), std::string::npos) << message;
    EXPECT_NE(message.find("job job-1"), std::string::npos) << message;
  }
}

TEST(CommandChannel, LongStderrIsCutToItsTail) {
  TempDir dir;
  std::string script =
      write_script(dir, "noisy.sh",
                   "i=0\nwhile [ $i -lt 2000 ]; do echo \"noise line $i\" >&2; i=$((i+1)); done\n"
                   "echo 'the real reason' >&2\nexit 1\n");
  CommandChannel channel(script, options_with_timeout(20000));
  try {
    channel.deliver(hostile_alert(dir).alert);
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("the real reason"), std::string::npos);
    EXPECT_EQ(message.find("noise line 1\n"), std::string::npos);
    EXPECT_LT(message.size(), 1500u);
  }
}

TEST(CommandChannel, TimeoutKillsTheCommandAndItsChildren) {
  TempDir dir;
  // The script starts a child that would write a file later; killing the group stops both.
  std::string late_file = dir.file("late.txt");
  std::string script =
      write_script(dir, "slow.sh", "(sleep 3.217; touch \"" + late_file + "\") &\nsleep 30\n");
  CommandChannel channel(script, options_with_timeout(300));
  try {
    channel.deliver(hostile_alert(dir).alert);
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(error.what()).find("timed out after 300 ms"), std::string::npos)
        << error.what();
  }
  // The background child is in the killed process group: it is gone, so no late file.
  auto ps =
      idemload::testing::run({"/bin/sh", "-c", "ps -eo args | grep -c '[s]leep 3.217' || true"});
  EXPECT_EQ(ps.out, "0\n");
}

TEST(CommandChannel, CommandThatIgnoresLargeStdinStillSucceeds) {
  TempDir dir;
  Alert alert = hostile_alert(dir).alert;
  alert.error = std::string(4 << 20, 'x');  // far beyond a pipe buffer: the write hits EPIPE
  CommandChannel channel("true", options_with_timeout(10000));  // found through $PATH
  channel.deliver(alert);                                       // no SIGPIPE, no throw
}

TEST(CommandChannel, HugeErrorIsCutInEnvironmentButWholeOnStdin) {
  TempDir dir;
  std::string script = write_script(dir, "sizes.sh",
                                    "cat > \"$1/stdin.json\"\n"
                                    "printf '%s' \"$IDEMLOAD_ALERT_ERROR\" > \"$1/error.txt\"\n");
  Alert alert = hostile_alert(dir).alert;
  alert.error = std::string(300 * 1024, 'e');
  CommandChannel channel(script + " " + dir.path().string(), options_with_timeout(10000));
  channel.deliver(alert);
  EXPECT_EQ(nlohmann::json::parse(read_file(dir.file("stdin.json")))["error"], alert.error);
  std::string env_error = read_file(dir.file("error.txt"));
  EXPECT_EQ(env_error, std::string(32 * 1024, 'e') + "…");
}

TEST(CommandChannel, MissingProgramThrows) {
  TempDir dir;
  CommandChannel channel(dir.file("no-such-program"), options_with_timeout(10000));
  try {
    channel.deliver(hostile_alert(dir).alert);
    FAIL() << "deliver should throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(error.what()).find("cannot start"), std::string::npos) << error.what();
  }
}

TEST(CommandChannel, DescribeRedactsPasswordsInArguments) {
  auto channel = make_channel(
      "command:/usr/local/bin/notify --url https://bot:hunter2@chat.example/room --team etl",
      ChannelOptions{});
  EXPECT_EQ(channel->describe(),
            "command /usr/local/bin/notify --url https://bot:***@chat.example/room --team etl");
}

}  // namespace
}  // namespace idemload::monitor
