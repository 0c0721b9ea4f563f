// Whole `codeexec run` processes against a bare start of the same interpreter, in one run.
//
//   cli_bench [--quick] [--codeexec PATH]
//
// What a user of the command waits for: a `codeexec run` process, from spawn to exit, that
// extracts a python `print(1)` block from a message file, runs it and prints the reply. Floor:
// posix_spawn of `/usr/bin/python3 -c 'print(1)'`, output read to end of file, waitpid. The
// rounds interleave every variant, so a busy machine slows them alike. PATH is /usr/bin:/bin for
// every process, so that each runs the same interpreter. Targets (issue #11): local <= 1.10x
// the floor, sandbox <= 1.30x and faster than bubblewrap with comparable isolation (all
// namespaces, read-only /usr, fresh /proc, /dev and /tmp, the work folder bound). A second floor,
// minimal_supervisor, does only the system work any supervising process must (see its source):
// what codeexec adds beyond it is the cost of codeexec's own design.
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

namespace fs = std::filesystem;
using namespace codeexec::bench;  // Median, TimeMillis, BareSpawn, BwrapPrefix

struct Variant {
  std::string name;
  std::vector<std::string> argv;
  std::vector<double> millis;
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string codeexec = CODEEXEC_CLI_PATH;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--codeexec") == 0 && i + 1 < argc) {
      codeexec = argv[++i];
    } else {
      fmt::print(stderr, "usage: cli_bench [--quick] [--codeexec PATH]\n");
      return 2;
    }
  }
  const int rounds = quick ? 20 : 100;
  setenv("PATH", "/usr/bin:/bin", 1);
  char folder_template[] = "/tmp/codeexec-cli-bench-XXXXXX";
  if (mkdtemp(folder_template) == nullptr) return 1;
  fs::path folder = folder_template;
  std::string message = (folder / "message.md").string();
  std::ofstream(message) << "```python\nprint(1)\n```\n";
  std::string work = (folder / "work").string();
  fs::create_directory(work);

  std::vector<Variant> variants = {
      {"bare python3 -c 'print(1)' (floor)", {"/usr/bin/python3", "-c", "print(1)"}, {}},
      {"minimal C supervisor (any supervisor's floor)",
       {MINIMAL_SUPERVISOR_PATH, "/usr/bin/python3"},
       {}},
      {"codeexec --version (the binary's own start)", {codeexec, "--version"}, {}},
      {"codeexec run (local)", {codeexec, "run", message}, {}},
      {"codeexec run --executor sandbox", {codeexec, "run", "--executor", "sandbox", message}, {}},
  };
  bool have_bwrap = access("/usr/bin/bwrap", X_OK) == 0;
  if (have_bwrap) {
    std::vector<std::string> bwrap = BwrapPrefix(work);
    bwrap.insert(bwrap.end(), {"/usr/bin/python3", "-c", "print(1)"});
    variants.push_back({"bwrap python3 -c 'print(1)'", bwrap, {}});
  }
  for (auto& variant : variants) BareSpawn(variant.argv, true);  // warm the page cache
  for (int round = 0; round < rounds; ++round) {
    for (auto& variant : variants) {
      variant.millis.push_back(TimeMillis([&] { BareSpawn(variant.argv, true); }));
    }
  }

  fmt::print(
      "codeexec CLI one-shot benchmark (medians of {} interleaved rounds, whole processes)\n\n",
      rounds);
  double floor = Median(variants[0].millis);
  for (const auto& variant : variants) {
    double median = Median(variant.millis);
    fmt::print("  {:<46} {:8.2f} ms  {:5.2f}x\n", variant.name, median, median / floor);
  }
  double minimal = Median(variants[1].millis);
  double local = Median(variants[3].millis), sandbox = Median(variants[4].millis);
  fmt::print(
      "\n  local   {:5.2f}x the floor (target <= 1.10x); {:.2f} ms over the minimal supervisor, "
      "which is {:4.2f}x the floor\n",
      local / floor, local - minimal, minimal / floor);
  fmt::print("  sandbox {:5.2f}x the floor (target <= 1.30x)", sandbox / floor);
  if (have_bwrap) {
    double bwrap = Median(variants[5].millis);
    fmt::print(", {:4.2f}x bubblewrap (target < 1)", sandbox / bwrap);
  } else {
    fmt::print(", bubblewrap not installed (scripts/setup.sh --test installs it)");
  }
  fmt::print("\n");
  std::error_code ec;
  fs::remove_all(folder, ec);
  return 0;
}
