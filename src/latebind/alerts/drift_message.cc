#include "latebind/alerts/drift_message.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "latebind/common/field_path.h"
#include "latebind/registry/schema_json.h"

namespace latebind::alerts {
namespace {

using Json = nlohmann::ordered_json;

// Slack refuses a section whose text exceeds 3000 characters (and the whole message with
// it); stop well before, leaving room for the "and N more" line.
constexpr size_t kMaxSectionChars = 2800;

std::string Percent(double confidence) {
  return fmt::format("{}%", std::lround(std::clamp(confidence, 0.0, 1.0) * 100));
}

// A field path as inline code: mrkdwn styling (*, _, ~) does not apply inside it.
std::string Code(std::string_view path) { return "`" + EscapeMrkdwn(path) + "`"; }

// Single-quotes an argument unless every character is one a POSIX shell leaves alone
// (`[` globs: `items[].sku` is quoted).
std::string ShellQuote(std::string_view arg) {
  const bool plain = !arg.empty() && arg.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789_-./:=@%+,") == std::string_view::npos;
  if (plain) return std::string(arg);
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Json MrkdwnSection(std::string text) {
  return {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", std::move(text)}}}};
}

// "*Title (n)*" and one bullet per item, cut to Slack's section limit.
Json ListSection(std::string_view title, size_t count,
                 const std::function<std::string(size_t)>& line) {
  std::string text = fmt::format("*{} ({})*", title, count);
  for (size_t i = 0; i < count; ++i) {
    std::string next = "\n• " + line(i);
    if (text.size() + next.size() > kMaxSectionChars) {
      text +=
          fmt::format("\n… and {} more (the `latebind.field_diff` member lists all)", count - i);
      break;
    }
    text += next;
  }
  return MrkdwnSection(std::move(text));
}

std::string Summary(const registry::FieldDiff& d) {
  return fmt::format("{} renamed, {} removed, {} added, {} type changed", d.renamed.size(),
                     d.removed.size(), d.added.size(), d.type_changed.size());
}

void AddDiffSections(const registry::SchemaVersion& v, Json& blocks) {
  const registry::FieldDiff& d = v.field_diff;
  if (!d.renamed.empty()) {
    std::vector<const std::pair<const std::string, registry::Rename>*> renames;
    for (const auto& r : d.renamed) renames.push_back(&r);
    blocks.push_back(ListSection("Renamed", renames.size(), [&](size_t i) {
      const auto& [from, r] = *renames[i];
      return fmt::format("{} → {} ({} confidence)", Code(from), Code(r.to), Percent(r.confidence));
    }));
  }
  if (!d.removed.empty()) {
    blocks.push_back(ListSection("Removed", d.removed.size(), [&](size_t i) {
      return Code(d.removed[i]) + " (required before, missing from a whole payload)";
    }));
  }
  if (!d.type_changed.empty()) {
    std::vector<const std::pair<const std::string, registry::TypeChange>*> changes;
    for (const auto& c : d.type_changed) changes.push_back(&c);
    blocks.push_back(ListSection("Type changes", changes.size(), [&](size_t i) {
      const auto& [path, c] = *changes[i];
      return fmt::format("{}: {} → {}", Code(path), FieldTypeName(c.from), FieldTypeName(c.to));
    }));
  }
  if (!d.added.empty()) {
    blocks.push_back(ListSection("Added", d.added.size(), [&](size_t i) {
      const registry::FieldSchema* f = v.Find(d.added[i]);
      return f ? fmt::format("{} ({})", Code(d.added[i]), FieldTypeName(f->type))
               : Code(d.added[i]);
    }));
  }
  if (!d.rejected_renames.empty()) {
    blocks.push_back(
        ListSection("Rename candidates rejected", d.rejected_renames.size(), [&](size_t i) {
          const registry::RenameCandidate& c = d.rejected_renames[i];
          return fmt::format("{} → {} ({}, below the rename threshold)", Code(c.from), Code(c.to),
                             Percent(c.confidence));
        }));
  }
  if (d.empty()) blocks.push_back(MrkdwnSection("No field changes are recorded."));
}

Json Attachment(const registry::SchemaVersion& v, const std::string& fallback) {
  auto field = [](const char* title, std::string value) {
    return Json{{"title", title}, {"value", std::move(value)}, {"short", true}};
  };
  const char* color = v.status == registry::VersionStatus::kBreaking ? "danger"
                      : v.status == registry::VersionStatus::kActive ? "good"
                                                                     : "warning";
  return {{"color", color},
          {"fallback", fallback},
          {"fields",
           {field("Source", v.source_id), field("Version", std::to_string(v.version)),
            field("Status", registry::StatusName(v.status)),
            field("Compatibility", registry::CompatibilityName(v.compatibility))}}};
}

}  // namespace

std::string EscapeMrkdwn(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ResolveCommand(const registry::SchemaVersion& v) {
  std::string cmd =
      fmt::format("latebind schema resolve {} --version {} --status ACTIVE --note \"...\"",
                  ShellQuote(v.source_id), v.version);
  // The registry keys renames old → new; the CLI takes NEW=OLD (the curated column keeps
  // the old name). A field that moved to another parent cannot be mapped (ADR-105).
  for (const auto& [from, r] : v.field_diff.renamed) {
    if (ParentPath(r.to) == ParentPath(from)) cmd += " --map " + ShellQuote(r.to + "=" + from);
  }
  return cmd;
}

nlohmann::ordered_json DriftMessage(const registry::SchemaVersion& v) {
  const bool breaking = v.status == registry::VersionStatus::kBreaking;
  const std::string status = registry::StatusName(v.status);
  const std::string compatibility = registry::CompatibilityName(v.compatibility);
  const std::string command = ResolveCommand(v);
  // A version resolved before its alert went out (a sink down for hours) is described as it
  // is now, so nobody resolves it twice.
  const std::string text = fmt::format(
      "{} Schema drift in source `{}`: version {} {} {} — {} (compatibility {})",
      breaking ? ":rotating_light:" : ":information_source:", EscapeMrkdwn(v.source_id), v.version,
      breaking ? "is" : "is now", status, Summary(v.field_diff), compatibility);

  Json blocks = Json::array();
  blocks.push_back(
      {{"type", "header"},
       {"text",
        {{"type", "plain_text"},
         {"text", fmt::format("Schema drift: {} v{} is {}", v.source_id, v.version, status)}}}});
  blocks.push_back({{"type", "section"},
                    {"fields",
                     {{{"type", "mrkdwn"}, {"text", "*Source*\n" + Code(v.source_id)}},
                      {{"type", "mrkdwn"}, {"text", fmt::format("*Version*\n{}", v.version)}},
                      {{"type", "mrkdwn"}, {"text", "*Status*\n" + status}},
                      {{"type", "mrkdwn"}, {"text", "*Compatibility*\n" + compatibility}}}}});
  AddDiffSections(v, blocks);
  blocks.push_back(MrkdwnSection(
      (breaking ? std::string("Promotion of this source is blocked. ") : std::string()) +
      "To accept this version (check the renames first):\n```" + EscapeMrkdwn(command) + "```"));
  blocks.push_back({{"type", "context"},
                    {"elements",
                     {{{"type", "mrkdwn"},
                       {"text", EscapeMrkdwn(fmt::format("created {} · fingerprint {}",
                                                         v.created_at, v.fingerprint))}}}}});

  Json attachments = Json::array();
  attachments.push_back(Attachment(v, text));
  return {{"text", text},
          {"blocks", std::move(blocks)},
          {"attachments", std::move(attachments)},
          {"latebind",
           {{"source_id", v.source_id},
            {"version", v.version},
            {"status", status},
            {"compatibility", compatibility},
            {"created_at", v.created_at},
            {"field_diff", registry::DiffToJson(v.field_diff)},
            {"resolve_command", command}}}};
}

}  // namespace latebind::alerts
