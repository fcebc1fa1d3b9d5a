#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/runtime/control_socket.hpp"
#include "daemon/runtime/watch_dir.hpp"
#include "support/temp_dir.hpp"

using namespace outreach;
namespace fs = std::filesystem;

namespace {

void write_file(fs::path const& path, std::string const& text) {
  std::ofstream out(path);
  out << text;
}

std::string read_file(fs::path const& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Runs the loop until `done` or 5 s pass — a bound, not a timing assertion.
template <class Pred>
void run_until(boost::asio::io_context& io, Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(20));
    io.restart();
  }
}

}  // namespace

TEST_CASE("campaign file names") {
  CHECK(is_campaign_file_name("spring.json"));
  CHECK(is_campaign_file_name("a.json"));
  CHECK_FALSE(is_campaign_file_name(".json"));
  CHECK_FALSE(is_campaign_file_name(".hidden.json"));
  CHECK_FALSE(is_campaign_file_name("spring.json.tmp"));
  CHECK_FALSE(is_campaign_file_name("spring.json.part"));
  CHECK_FALSE(is_campaign_file_name("spring.csv"));
  CHECK_FALSE(is_campaign_file_name("spring.JSON.txt"));
  CHECK_FALSE(is_campaign_file_name(""));
}

TEST_CASE("start-up scan offers present files in name order, skipping non-campaigns") {
  testing::TempDir dir;
  write_file(dir.path() / "b.json", "{}");
  write_file(dir.path() / "a.json", "{}");
  write_file(dir.path() / "notes.csv", "x");
  write_file(dir.path() / ".hidden.json", "{}");
  write_file(dir.path() / "c.json.tmp", "{}");
  fs::create_directory(dir.path() / "d.json");
  fs::create_symlink(dir.path() / "a.json", dir.path() / "link.json");

  boost::asio::io_context io;
  std::vector<std::string> seen;
  WatchDir watch(io, dir.path(), [&](fs::path const& p) { seen.push_back(p.filename().string()); });
  watch.start();
  CHECK(seen == std::vector<std::string>{"a.json", "b.json"});
}

TEST_CASE("inotify reports files closed after writing and files renamed in, nothing else") {
  testing::TempDir dir;
  boost::asio::io_context io;
  std::vector<std::string> seen;
  WatchDir watch(io, dir.path(), [&](fs::path const& p) { seen.push_back(p.filename().string()); });
  watch.start();
  REQUIRE(seen.empty());

  write_file(dir.path() / "written.json", "{}");
  write_file(dir.path() / ".drop.json.tmp", "{}");
  fs::rename(dir.path() / ".drop.json.tmp", dir.path() / "renamed.json");
  write_file(dir.path() / "other.txt", "x");
  write_file(dir.path() / "partial.json.part", "{");
  run_until(io, [&] { return seen.size() >= 2; });
  // Let any stray extra events arrive before asserting that there were none.
  io.run_for(std::chrono::milliseconds(50));
  CHECK(seen == std::vector<std::string>{"written.json", "renamed.json"});
}

TEST_CASE("an overflowed inotify queue is answered with a full rescan, so no dropped file is missed") {
  testing::TempDir dir;
  boost::asio::io_context io;
  std::vector<std::string> seen;
  WatchDir watch(io, dir.path(), [&](fs::path const& p) { seen.push_back(p.filename().string()); });
  watch.start();
  // The loop is not running (as during a long import): more events than the kernel queues
  // (fs.inotify.max_queued_events, 16384 by default) make it drop the rest, late.json's too.
  int limit = 16384;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> limit;
  // Two files closed in turn: the kernel merges only identical consecutive events.
  for (int i = 0; i <= limit; ++i) std::ofstream(dir.path() / (i % 2 == 0 ? "noise-a.txt" : "noise-b.txt"));
  write_file(dir.path() / "late.json", "{}");
  run_until(io, [&] { return !seen.empty(); });
  CHECK(seen == std::vector<std::string>{"late.json"});
}

TEST_CASE("a rescan of a vanished watch directory is an error result, not an exception") {
  testing::TempDir dir;
  boost::asio::io_context io;
  const fs::path watched = dir.path() / "incoming";
  fs::create_directory(watched);
  WatchDir watch(io, watched, [](fs::path const&) {});
  watch.start();
  fs::remove(watched);
  Result<void> scanned;
  CHECK_NOTHROW(scanned = watch.rescan());
  REQUIRE_FALSE(scanned.has_value());
  CHECK(scanned.error().message.find("cannot scan the watch directory " + watched.string()) == 0);
}

TEST_CASE("accepted/ and rejected/ with numeric suffixes and an .error file") {
  testing::TempDir dir;
  write_file(dir.path() / "spring.json", "1");
  auto first = move_to_accepted(dir.path() / "spring.json");
  REQUIRE(first.has_value());
  CHECK(*first == dir.path() / "accepted" / "spring.json");

  write_file(dir.path() / "spring.json", "2");
  auto second = move_to_accepted(dir.path() / "spring.json");
  REQUIRE(second.has_value());
  CHECK(*second == dir.path() / "accepted" / "spring.1.json");
  CHECK_FALSE(fs::exists(dir.path() / "spring.json"));

  write_file(dir.path() / "bad.json", "{");
  auto rejected = move_to_rejected(dir.path() / "bad.json", "line 1 column 2: unexpected end of input");
  REQUIRE(rejected.has_value());
  CHECK(*rejected == dir.path() / "rejected" / "bad.json");
  std::ifstream error_file(dir.path() / "rejected" / "bad.json.error");
  std::string line;
  std::getline(error_file, line);
  CHECK(line == "line 1 column 2: unexpected end of input");

  auto missing = move_to_accepted(dir.path() / "gone.json");
  REQUIRE(missing.has_error());
  CHECK(missing.error().message.find("gone.json") != std::string::npos);
}

TEST_CASE("other files closed or renamed in are reported apart from campaigns, scans never report them") {
  testing::TempDir dir;
  write_file(dir.path() / "present.csv", "x");
  boost::asio::io_context io;
  std::vector<std::string> campaigns, others;
  WatchDir watch(
      io, dir.path(), [&](fs::path const& p) { campaigns.push_back(p.filename().string()); },
      [&](fs::path const& p) { others.push_back(p.filename().string()); });
  watch.start();
  REQUIRE(watch.rescan().has_value());
  CHECK(others.empty());

  write_file(dir.path() / ".people.csv.tmp", "username\nalice\n");
  fs::rename(dir.path() / ".people.csv.tmp", dir.path() / "people.csv");
  write_file(dir.path() / "more.csv", "username\nbob\n");
  write_file(dir.path() / "scratch.part", "x");
  write_file(dir.path() / "c.json", "{}");
  run_until(io, [&] { return others.size() >= 2 && !campaigns.empty(); });
  io.run_for(std::chrono::milliseconds(50));
  CHECK(others == std::vector<std::string>{"people.csv", "more.csv"});
  CHECK(campaigns == std::vector<std::string>{"c.json"});
}

TEST_CASE("a file another process holds open for writing is told from a complete one") {
  testing::TempDir dir;
  const fs::path file = dir.path() / "c.json";
  write_file(file, "{\"name\": ");
  CHECK_FALSE(is_open_for_writing(file));

  const int writer = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  REQUIRE(writer >= 0);
  const int reader = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  CHECK(is_open_for_writing(file));
  ::close(writer);
  CHECK_FALSE(is_open_for_writing(file));  // a reader alone does not count
  ::close(reader);
  CHECK_FALSE(is_open_for_writing(dir.path() / "missing.json"));
}

TEST_CASE("rejected/<file>.error is never written through a planted symlink: the pair lands under a free name") {
  testing::TempDir dir;
  const fs::path watch = dir.path() / "campaigns";
  const fs::path victim = dir.path() / "victim.txt";
  fs::create_directories(watch / "rejected");
  write_file(victim, "precious\n");
  fs::create_symlink(victim, watch / "rejected" / "bad.json.error");
  fs::create_symlink(dir.path() / "created-through-link", watch / "rejected" / "bad.1.json.error");  // dangling
  write_file(watch / "bad.json", "{");

  auto moved = move_to_rejected(watch / "bad.json", "line 1 column 2: unexpected end of input");
  REQUIRE_MESSAGE(moved.has_value(), (moved ? "" : moved.error().message));
  CHECK(*moved == watch / "rejected" / "bad.2.json");
  CHECK(read_file(victim) == "precious\n");
  CHECK_FALSE(fs::exists(dir.path() / "created-through-link"));
  CHECK(fs::is_symlink(watch / "rejected" / "bad.json.error"));
  CHECK(read_file(watch / "rejected" / "bad.2.json") == "{");
  CHECK(read_file(watch / "rejected" / "bad.2.json.error") == "line 1 column 2: unexpected end of input\n");
  CHECK_FALSE(fs::exists(watch / "bad.json"));
  CHECK_FALSE(fs::exists(watch / "rejected" / "bad.json"));
}

TEST_CASE("a symlink named accepted or rejected is not followed: nothing is written where it points") {
  testing::TempDir dir;
  const fs::path watch = dir.path() / "campaigns";
  const fs::path elsewhere = dir.path() / "elsewhere";
  fs::create_directories(watch);
  fs::create_directories(elsewhere);
  fs::create_directory_symlink(elsewhere, watch / "accepted");
  fs::create_directory_symlink(elsewhere, watch / "rejected");
  write_file(watch / "good.json", "{}");
  write_file(watch / "bad.json", "{");

  auto accepted = move_to_accepted(watch / "good.json");
  REQUIRE(accepted.has_error());
  CHECK(accepted.error().environmental);  // the caller keeps the file and tries again later
  CHECK(accepted.error().message ==
        "cannot move good.json into accepted/: " + (watch / "accepted").string() +
            " is a symbolic link, not a directory; remove or rename it");
  auto rejected = move_to_rejected(watch / "bad.json", "bad");
  REQUIRE(rejected.has_error());
  CHECK(rejected.error().environmental);
  CHECK(fs::is_empty(elsewhere));
  CHECK(read_file(watch / "good.json") == "{}");
  CHECK(read_file(watch / "bad.json") == "{");
}

TEST_CASE("a file named rejected blocks the move: the file stays, and the error says what to do") {
  testing::TempDir dir;
  write_file(dir.path() / "rejected", "not a directory");
  write_file(dir.path() / "bad.json", "{");
  auto rejected = move_to_rejected(dir.path() / "bad.json", "bad");
  REQUIRE(rejected.has_error());
  CHECK(rejected.error().environmental);
  CHECK(rejected.error().message == "cannot move bad.json into rejected/: " + (dir.path() / "rejected").string() +
                                        " is a file, not a directory; remove or rename it");
  CHECK(fs::exists(dir.path() / "bad.json"));
  CHECK(read_file(dir.path() / "rejected") == "not a directory");

  fs::remove(dir.path() / "rejected");
  auto moved = move_to_rejected(dir.path() / "bad.json", "bad");
  REQUIRE(moved.has_value());
  CHECK(*moved == dir.path() / "rejected" / "bad.json");
  CHECK(read_file(dir.path() / "rejected" / "bad.json.error") == "bad\n");
}

TEST_CASE("control socket: the CLI's datagram reaches the daemon, no daemon is not an error") {
  testing::TempDir dir;
  CHECK_FALSE(notify_daemon(dir.path().string(), "wake"));

  boost::asio::io_context io;
  std::vector<std::string> messages;
  {
    ControlSocket socket(io, dir.path().string(), [&](std::string const& m) {
      messages.push_back(m);
      return std::string();
    });
    CHECK(notify_daemon(dir.path().string(), "wake"));
    CHECK(notify_daemon(dir.path().string(), "reload"));
    run_until(io, [&] { return messages.size() >= 2; });
    CHECK(messages == std::vector<std::string>{"wake", "reload"});
    struct stat st{};
    REQUIRE(::stat((dir.path() / kControlSocketName).c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
  }
  // Closing removes the socket file, so a later CLI call knows no daemon is listening.
  CHECK_FALSE(fs::exists(dir.path() / kControlSocketName));
  CHECK_FALSE(notify_daemon(dir.path().string(), "wake"));
}

TEST_CASE("control socket: ask_daemon gets the daemon's answer, no daemon and no answer are told apart") {
  testing::TempDir dir;
  CHECK(ask_daemon(dir.path().string(), "reload", std::chrono::milliseconds(200)).status ==
        DaemonAnswer::Status::no_daemon);

  boost::asio::io_context io;
  ControlSocket socket(io, dir.path().string(), [](std::string const& m) {
    return m == "reload" ? std::string("ok\nconfiguration reloaded: 3 accounts") : std::string();
  });
  DaemonAnswer answered;
  DaemonAnswer silent;
  std::atomic<bool> asked{false};
  // ask_daemon blocks for the answer, so it runs beside the loop that answers it.
  std::thread asker([&] {
    answered = ask_daemon(dir.path().string(), "reload", std::chrono::seconds(5));
    silent = ask_daemon(dir.path().string(), "wake", std::chrono::milliseconds(300));
    asked = true;
  });
  run_until(io, [&] { return asked.load(); });
  asker.join();
  CHECK(answered.status == DaemonAnswer::Status::answered);
  CHECK(answered.text == "ok\nconfiguration reloaded: 3 accounts");
  CHECK(silent.status == DaemonAnswer::Status::no_answer);  // a wake-up is not answered
}
