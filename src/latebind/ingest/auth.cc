#include "latebind/ingest/auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "latebind/common/status.h"
#include "latebind/ingest/digest.h"

namespace latebind::ingest {
namespace {

bool HexToBytes(std::string_view hex, std::string* out) {
  if (hex.size() != 64) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    for (size_t k = i; k < i + 2; ++k) {
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(hex[k])));
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else {
        return false;
      }
    }
    out->push_back(static_cast<char>(v));
  }
  return true;
}

}  // namespace

arrow::Result<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::Load(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorKind::kNotFound, fmt::format("{}: cannot open", path));
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorKind::kBadInput, fmt::format("{}: {}", path, why));
  };
  if (!doc.is_object() || !doc.contains("tokens") || !doc["tokens"].is_array()) {
    return bad("expected {\"tokens\": [{\"name\", \"sha256\", \"sources\"}, ...]}");
  }
  auto auth = std::unique_ptr<TokenAuthenticator>(new TokenAuthenticator());
  for (size_t i = 0; i < doc["tokens"].size(); ++i) {
    const auto& t = doc["tokens"][i];
    Token token;
    // Errors name the token as its owner knows it: by its "name", else its place in the
    // list, counted from 1 as an editor counts.
    const bool named = t.is_object() && t.contains("name") && t["name"].is_string();
    token.name = named ? t["name"].get<std::string>() : fmt::format("#{}", i + 1);
    const std::string label =
        named ? fmt::format("token '{}'", token.name) : fmt::format("token #{}", i + 1);
    if (t.is_object() && t.contains("name") && !named) {
      return bad(fmt::format("{}: \"name\" must be a string", label));
    }
    if (!t.is_object() || !t.contains("sha256") || !t["sha256"].is_string() ||
        !HexToBytes(t["sha256"].get<std::string>(), &token.sha256)) {
      return bad(fmt::format("{}: \"sha256\" must be 64 hex digits", label));
    }
    if (!t.contains("sources") || !t["sources"].is_array() || t["sources"].empty()) {
      return bad(fmt::format("{}: \"sources\" must list source ids or \"*\"", label));
    }
    for (const auto& s : t["sources"]) {
      if (!s.is_string()) return bad(fmt::format("{}: sources must be strings", label));
      token.sources.push_back(s.get<std::string>());
    }
    if (t.contains("operator") && !t["operator"].is_boolean()) {
      return bad(fmt::format("{}: \"operator\" must be true or false", label));
    }
    token.is_operator = t.value("operator", false);
    auth->tokens_.push_back(std::move(token));
  }
  if (auth->tokens_.empty()) return bad("no tokens");
  return auth;
}

const TokenAuthenticator::Token* TokenAuthenticator::Find(std::string_view authorization) const {
  // The scheme's name is case-insensitive (RFC 9110 §11.1).
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return nullptr;
  }
  const std::string hash = Sha256(authorization.substr(kBearer.size()));
  const Token* match = nullptr;
  for (const Token& t : tokens_) {
    // No early exit: every comparison runs, each in constant time.
    if (CRYPTO_memcmp(hash.data(), t.sha256.data(), hash.size()) == 0) match = &t;
  }
  return match;
}

TokenAuthenticator::Decision TokenAuthenticator::CheckOperator(std::string_view authorization,
                                                               std::string* name) const {
  const Token* match = Find(authorization);
  if (match == nullptr) return Decision::kUnauthenticated;
  *name = match->name;
  return match->is_operator ? Decision::kAllowed : Decision::kForbidden;
}

TokenAuthenticator::Decision TokenAuthenticator::Check(std::string_view authorization,
                                                       std::string_view source) const {
  const Token* match = Find(authorization);
  if (match == nullptr) return Decision::kUnauthenticated;
  if (source.empty()) return Decision::kAllowed;
  const bool allowed = std::any_of(match->sources.begin(), match->sources.end(),
                                   [&](const std::string& s) { return s == "*" || s == source; });
  return allowed ? Decision::kAllowed : Decision::kForbidden;
}

}  // namespace latebind::ingest
