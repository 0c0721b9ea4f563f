// The hostile-code cases: each attack, and the safe outcome each executor must show for it.
//
// Beyond its own expectation, every case is followed by the same checks (hostile_test.cc): the
// host is unchanged, no process of the case is left anywhere on the host, and the executor still
// runs code. An executor a case is not run against has no expectation for it; the reason is
// given beside the case (the local executor isolates nothing: only its limits are tested).
#ifndef CODEEXEC_TESTS_SECURITY_HOSTILE_CASES_H_
#define CODEEXEC_TESTS_SECURITY_HOSTILE_CASES_H_

#include <functional>
#include <string>
#include <vector>

#include "codeexec/types.h"

namespace codeexec::hostile {

using Expect = std::function<void(const CodeResult&)>;

struct HostileCase {
  std::string name;
  std::vector<CodeBlock> blocks;  // run in one call
  Expect sandbox;
  Expect docker = {};  // empty: not run against the Docker executor
  Expect local = {};   // empty: not run against the local executor
};

// Processes of a case carry this in their command lines, so that a leftover shows on the host.
inline constexpr char kMarker[] = "codeexec-hostile-marker";

// A secret only the host has: in this process's environment (as CODEEXEC_HOSTILE_SECRET) and in
// HostSecretFile(). No case may print it.
const std::string& HostSecret();
const std::string& HostSecretFile();  // under /root
// A file on the host no case may create (a symlink in the work folder points at it).
const std::string& HostVictimFile();

std::vector<HostileCase> Cases();

}  // namespace codeexec::hostile

#endif  // CODEEXEC_TESTS_SECURITY_HOSTILE_CASES_H_
