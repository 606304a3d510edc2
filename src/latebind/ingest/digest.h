// SHA-256 through OpenSSL, for payload receipts, idempotency records and token hashes.
#pragma once

#include <string>
#include <string_view>

namespace latebind::ingest {

std::string Sha256(std::string_view bytes);     // the 32 raw bytes
std::string Sha256Hex(std::string_view bytes);  // 64 lowercase hex digits

}  // namespace latebind::ingest
