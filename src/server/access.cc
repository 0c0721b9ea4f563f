#include "server/access.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <strings.h>

#include <algorithm>

#include "service/codec.h"

namespace codeexec::server {
namespace {

std::array<unsigned char, 32> Digest(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         strncasecmp(text.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  std::string name = Lower(host);
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (name == "localhost" || name == "::1") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, name.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, name.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::string HostOfHostHeader(std::string_view value) {
  if (value.empty()) return "";
  if (value.front() == '[') {
    std::size_t close = value.find(']');
    if (close == std::string_view::npos) return "";
    std::string_view rest = value.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "";
    return Lower(value.substr(1, close - 1));
  }
  std::size_t colon = value.find(':');
  if (colon != std::string_view::npos && value.find(':', colon + 1) != std::string_view::npos) {
    return "";  // a bare IPv6 literal must be bracketed
  }
  return Lower(value.substr(0, colon));
}

std::string HostOfOrigin(std::string_view origin) {
  std::size_t scheme = origin.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = origin.substr(scheme + 3);
  std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos) rest = rest.substr(0, slash);
  if (rest.find('@') != std::string_view::npos) return "";
  return HostOfHostHeader(rest);
}

AccessGuard::AccessGuard(std::string_view token, bool loopback)
    : auth_required_(!token.empty()), loopback_(loopback), token_digest_(Digest(token)) {}

bool AccessGuard::Matches(std::string_view candidate) const {
  auto digest = Digest(candidate);
  return CRYPTO_memcmp(digest.data(), token_digest_.data(), digest.size()) == 0;
}

bool AccessGuard::Authorized(std::optional<std::string_view> authorization) const {
  if (!auth_required_) return true;
  if (!authorization) return false;
  std::string_view value = *authorization;
  if (StartsWithNoCase(value, "Bearer ")) return Matches(value.substr(7));
  if (StartsWithNoCase(value, "Basic ")) {
    auto decoded = service::DecodeBase64(value.substr(6));
    if (!decoded) return false;
    std::size_t colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    return Matches(std::string_view(*decoded).substr(colon + 1));
  }
  return false;
}

std::optional<std::string> AccessGuard::CheckHostAndOrigin(
    std::optional<std::string_view> host, std::optional<std::string_view> origin) const {
  if (!loopback_) return std::nullopt;
  if (!host || !IsLoopbackHost(HostOfHostHeader(*host))) {
    return "this server listens on a loopback address and answers only requests for localhost, "
           "127.0.0.1 or [::1] (the Host header named another host)";
  }
  if (origin && !IsLoopbackHost(HostOfOrigin(*origin))) {
    return "requests from web pages of other origins are refused (the Origin header named "
           "another host)";
  }
  return std::nullopt;
}

}  // namespace codeexec::server
