#include "latebind/ingest/arrivals.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "latebind/common/ids.h"
#include "latebind/common/status.h"
#include "latebind/ingest/digest.h"
#include "latebind/ingest/lander.h"
#include "latebind/profiler/format_detector.h"
#include "latebind/profiler/profile_json.h"
#include "latebind/storage/zone_keys.h"

namespace latebind::ingest {
namespace {

constexpr std::string_view kMetaSuffix = ".meta.json";

// `.profile.json` files are the arrival markers of homes written before ADR-026: sidecars,
// never payloads (their payloads have no registry record yet and are profiled again).
bool IsPayloadKey(std::string_view key) {
  return !key.ends_with(kMetaSuffix) && !key.ends_with(".profile.json");
}

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

ArrivalProcessor::ArrivalProcessor(std::shared_ptr<storage::ObjectStore> store,
                                   std::shared_ptr<registry::Registry> registry,
                                   profiler::ProfileOptions options, registry::ApplyOptions apply)
    : store_(std::move(store)),
      options_(std::move(options)),
      registry_(std::move(registry)),
      apply_(std::move(apply)) {
  if (options_.source.max_decompressed_bytes == UINT64_MAX) {
    options_.source.max_decompressed_bytes = kDefaultMaxDecodedBytes;
  }
  // A payload dead-lettered for its decoded size is recovered by raising the limit: the
  // reason names the flag every command that processes arrivals has.
  options_.source.max_decompressed_setting = "--max-decoded-bytes";
}

arrow::Result<ArrivalOutcome> ArrivalProcessor::Process(const std::string& key) {
  return ProcessBatch({key})[0];
}

std::vector<arrow::Result<ArrivalOutcome>> ArrivalProcessor::ProcessBatch(
    const std::vector<std::string>& keys) {
  std::vector<arrow::Result<ArrivalOutcome>> results;
  std::vector<size_t> parsed;  // indexes applied to the registry together
  for (const std::string& key : keys) {
    arrow::Result<ArrivalOutcome> out = Profile(key);
    if (out.ok() && out->profile.ok()) {
      parsed.push_back(results.size());
    } else if (out.ok()) {
      out = DeadLetter(key, std::move(*out));
    }
    results.push_back(std::move(out));
  }
  if (parsed.empty()) return results;
  // One transaction for the batch; its commit is what marks these payloads profiled.
  std::vector<registry::ProfiledPayload> batch;
  for (size_t i : parsed)
    batch.push_back({storage::SourceOfKey(keys[i]), keys[i], &results[i]->profile});
  registry::ApplyOptions apply = apply_;
  apply.now = std::chrono::system_clock::now();
  auto applied = registry_->Apply(batch, apply);
  for (size_t j = 0; j < parsed.size(); ++j) {
    if (applied.ok()) {
      results[parsed[j]]->schema = (*applied)[j];
    } else {
      results[parsed[j]] = applied.status();  // unrecorded: Pending() still lists them
    }
  }
  return results;
}

arrow::Result<ArrivalOutcome> ArrivalProcessor::Profile(const std::string& key) {
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<ByteSource> source,
                        store_->OpenDecoded(key, options_.source));
  ArrivalOutcome out;
  // The extension holds the format the source declared (or the lander sniffed): a
  // payload is judged as what it claims to be.
  profiler::ProfileOptions options = options_;
  if (!options.format) options.format = profiler::FormatOfKey(key);
  ARROW_ASSIGN_OR_RAISE(out.profile, profiler::ProfileSource(source.get(), key, options));
  out.object = key;
  return out;
}

arrow::Result<ArrivalOutcome> ArrivalProcessor::DeadLetter(const std::string& key,
                                                           ArrivalOutcome out) {
  // Cannot be parsed: keep it, unmodified, in the dead-letter zone with the reason.
  const std::string dl_key = "dead-letter/" + key.substr(key.find('/') + 1);
  ARROW_ASSIGN_OR_RAISE(std::string payload, store_->Get(key));
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  if (auto raw_meta = store_->Get(storage::MetaKeyOf(key)); raw_meta.ok()) {
    meta = nlohmann::ordered_json::parse(*raw_meta, nullptr, /*allow_exceptions=*/false);
    if (meta.is_discarded()) meta = nlohmann::ordered_json::object();
  }
  meta["object"] = dl_key;
  meta["raw_object"] = key;
  meta["dead_lettered_at"] = UtcTimestamp(std::chrono::system_clock::now());
  meta["errors"] = out.profile.error_count;
  nlohmann::ordered_json reasons = nlohmann::ordered_json::array();
  for (const auto& p : out.profile.problems) {
    if (p.severity != profiler::Problem::Severity::kError) continue;
    reasons.push_back(profiler::ProblemToJson(p));
  }
  meta["reason"] = reasons.empty() ? nlohmann::ordered_json(nullptr) : reasons[0];
  meta["problems"] = reasons;
  const std::string meta_text = Dump(meta);
  // Recorded before the move: a crash in between repeats both, and the record is keyed by
  // the dead-letter object, so it is not counted twice.
  ARROW_RETURN_NOT_OK(
      registry_->RecordDeadLetter(storage::SourceOfKey(key), dl_key, Dump(meta["reason"])));
  ARROW_RETURN_NOT_OK(
      store_->PutBatch({{dl_key, payload}, {storage::MetaKeyOf(dl_key), meta_text}}));
  // Only now that the dead-letter copy is durable may the raw one go; payload first, so
  // a crash in between leaves a meta that Pending() recognises and removes.
  ARROW_RETURN_NOT_OK(store_->Delete(key));
  ARROW_RETURN_NOT_OK(store_->Delete(storage::MetaKeyOf(key)));
  out.object = dl_key;
  out.dead_lettered = true;
  return out;
}

arrow::Result<ArrivalOutcome> ArrivalProcessor::Replay(const std::string& dl_key) {
  constexpr std::string_view kZone = "dead-letter/";
  if (!dl_key.starts_with(kZone) || !IsPayloadKey(dl_key)) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("{} is not a dead-letter payload (dead-letter/source=…)", dl_key));
  }
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<ByteSource> source,
                        store_->OpenDecoded(dl_key, options_.source));
  profiler::ProfileOptions options = options_;
  if (!options.format) options.format = profiler::FormatOfKey(dl_key);
  ArrivalOutcome out;
  ARROW_ASSIGN_OR_RAISE(out.profile, profiler::ProfileSource(source.get(), dl_key, options));
  out.object = dl_key;
  out.dead_lettered = true;
  if (!out.profile.ok()) return out;
  // Named by the format it parsed as (a replay may read it differently than it claimed).
  std::string raw_key = "raw/" + dl_key.substr(kZone.size());
  const size_t dot = raw_key.find('.', raw_key.rfind('/'));
  raw_key = raw_key.substr(0, dot) + "." + profiler::FormatName(out.profile.format) +
            (out.profile.gzip ? ".gz" : "");
  ARROW_ASSIGN_OR_RAISE(std::string payload, store_->Get(dl_key));
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  if (auto dl_meta = store_->Get(storage::MetaKeyOf(dl_key)); dl_meta.ok()) {
    meta = nlohmann::ordered_json::parse(*dl_meta, nullptr, /*allow_exceptions=*/false);
    if (meta.is_discarded()) meta = nlohmann::ordered_json::object();
  }
  for (const char* k : {"raw_object", "dead_lettered_at", "errors", "reason", "problems"}) {
    meta.erase(k);
  }
  meta["object"] = raw_key;
  meta["replayed_at"] = UtcTimestamp(std::chrono::system_clock::now());
  meta["replayed_as"] = profiler::FormatName(out.profile.format);
  // The meta describes the bytes stored. An operator may have fixed the payload in the
  // dead-letter zone before replaying it: then what arrived is kept beside what is stored.
  const std::string sha256 = Sha256Hex(payload);
  if (meta.contains("sha256") && meta["sha256"] != sha256) {
    meta["received_sha256"] = meta["sha256"];
    if (meta.contains("bytes")) meta["received_bytes"] = meta["bytes"];
    meta["edited_before_replay"] = true;
  }
  meta["sha256"] = sha256;
  meta["bytes"] = payload.size();
  const std::string meta_text = Dump(meta);
  // Payload and meta, then the registry (which marks it profiled), then the dead-letter copy
  // goes: a crash at any point leaves a state that repeating the replay completes.
  ARROW_RETURN_NOT_OK(
      store_->PutBatch({{raw_key, payload}, {storage::MetaKeyOf(raw_key), meta_text}}));
  ARROW_RETURN_NOT_OK(registry_->ClearDeadLetter(dl_key));
  registry::ApplyOptions apply = apply_;
  apply.now = std::chrono::system_clock::now();
  ARROW_ASSIGN_OR_RAISE(
      auto applied,
      registry_->Apply({{storage::SourceOfKey(raw_key), raw_key, &out.profile}}, apply));
  out.schema = applied[0];
  ARROW_RETURN_NOT_OK(store_->Delete(dl_key));
  ARROW_RETURN_NOT_OK(store_->Delete(storage::MetaKeyOf(dl_key)));
  out.object = raw_key;
  out.dead_lettered = false;
  return out;
}

arrow::Result<std::vector<std::string>> ArrivalProcessor::Pending() {
  ARROW_ASSIGN_OR_RAISE(std::vector<storage::ObjectInfo> raw, store_->List("raw/"));
  std::set<std::string> keys;
  for (const auto& o : raw) keys.insert(o.key);
  std::vector<std::string> payloads;
  for (const std::string& key : keys) {
    if (IsPayloadKey(key)) {
      payloads.push_back(key);
      continue;
    }
    if (!key.ends_with(kMetaSuffix)) continue;
    // A meta whose payload is gone: the payload was dead-lettered and the crash came
    // before this meta was deleted. Remove it once its dead-letter twin is there.
    const std::string stem = key.substr(0, key.size() - kMetaSuffix.size());
    bool has_payload = false;
    for (auto it = keys.lower_bound(stem + "."); it != keys.end() && it->starts_with(stem + ".");
         ++it) {
      has_payload = has_payload || IsPayloadKey(*it);
    }
    if (!has_payload && store_->Get("dead-letter/" + key.substr(4)).ok()) {
      ARROW_RETURN_NOT_OK(store_->Delete(key));
    }
  }
  ARROW_ASSIGN_OR_RAISE(std::vector<std::string> pending, registry_->Unrecorded(payloads));
  // ULIDs in the names: sorting by the file name orders by arrival.
  std::sort(pending.begin(), pending.end(), [](const std::string& a, const std::string& b) {
    return a.substr(a.rfind('/')) < b.substr(b.rfind('/'));
  });
  return pending;
}

}  // namespace latebind::ingest
