#include "latebind/ingest/digest.h"

#include <fmt/format.h>
#include <openssl/evp.h>

namespace latebind::ingest {

std::string Sha256(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), len);
}

std::string Sha256Hex(std::string_view bytes) {
  std::string hex;
  for (unsigned char c : Sha256(bytes)) hex += fmt::format("{:02x}", c);
  return hex;
}

}  // namespace latebind::ingest
