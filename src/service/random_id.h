// Unguessable identifiers from the kernel's random source (getrandom): session ids and the
// server's default token. Nothing here is predictable from what a client sees, so an id is a
// capability only its holder can use.
#ifndef CODEEXEC_SRC_SERVICE_RANDOM_ID_H_
#define CODEEXEC_SRC_SERVICE_RANDOM_ID_H_

#include <cstddef>
#include <string>

#include "codeexec/error.h"

namespace codeexec::service {

// `bytes` random bytes as lower-case hex (2 * bytes characters). Fails only when the kernel's
// random source does (kInternal).
Result<std::string> RandomHex(std::size_t bytes);

// A session id: 128 random bits, 32 hex characters.
inline constexpr std::size_t kSessionIdBytes = 16;
// A server token: 256 random bits, 64 hex characters.
inline constexpr std::size_t kTokenBytes = 32;

// Whether `text` has the shape of a session id (32 lower-case hex characters), so that a path
// segment can be refused before any lookup.
bool LooksLikeSessionId(std::string_view text);

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_RANDOM_ID_H_
