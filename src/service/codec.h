// The encodings file contents travel in over JSON: base64 (RFC 4648, with padding) and hex
// (Piston's third encoding).
#ifndef CODEEXEC_SRC_SERVICE_CODEC_H_
#define CODEEXEC_SRC_SERVICE_CODEC_H_

#include <optional>
#include <string>
#include <string_view>

namespace codeexec::service {

std::string EncodeBase64(std::string_view bytes);

// nullopt for anything but canonical base64 (whitespace is not skipped; padding required).
std::optional<std::string> DecodeBase64(std::string_view text);

// nullopt for an odd length or a character that is not a hex digit (either case).
std::optional<std::string> DecodeHex(std::string_view text);

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_CODEC_H_
