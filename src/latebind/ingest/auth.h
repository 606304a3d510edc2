// Bearer-token authentication for `serve` (DESIGN.md §7 Security).
#pragma once

#include <arrow/result.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace latebind::ingest {

// Tokens are stored only as SHA-256 hashes, each allowed a set of source ids ("*": all).
// File format (JSON):
//   {"tokens": [{"name": "bank-producer", "sha256": "<hex of sha256(token)>",
//                "sources": ["bank", "cards"], "operator": false}]}
// "operator": true lets a token change version status and run promotions.
// Hash a token with: printf %s "$TOKEN" | sha256sum
// Immutable after Load; thread-safe.
class TokenAuthenticator {
 public:
  enum class Decision { kAllowed, kUnauthenticated, kForbidden };

  // Errors: kNotFound for a missing file, kBadInput naming what is wrong in it.
  static arrow::Result<std::unique_ptr<TokenAuthenticator>> Load(const std::string& path);

  // `authorization` is the raw header ("Bearer <token>"). kUnauthenticated when it is
  // missing, malformed or no token matches; kForbidden when the token is valid but not for
  // `source` ("" for endpoints without a source: any valid token). Compares every stored
  // hash in constant time, so timing tells nothing about which hash came close.
  Decision Check(std::string_view authorization, std::string_view source) const;
  // For operator endpoints: kForbidden for a valid token without "operator": true. The
  // token's name goes to *name (for the audit trail of status changes).
  Decision CheckOperator(std::string_view authorization, std::string* name) const;

 private:
  struct Token {
    std::string name;
    std::string sha256;  // 32 raw bytes
    std::vector<std::string> sources;
    bool is_operator = false;
  };
  const Token* Find(std::string_view authorization) const;
  std::vector<Token> tokens_;
};

}  // namespace latebind::ingest
