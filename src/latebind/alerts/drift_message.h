// The message a drift alert carries to a webhook sink (DESIGN.md §1: SNS schema-drift-alerts
// → webhook sinks): Slack-compatible JSON, so a Slack incoming webhook renders it as it is,
// and a structured `latebind` member, so any other receiver can act on it without parsing
// prose. The wire format is documented in src/latebind/alerts/README.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "latebind/registry/schema.h"

namespace latebind::alerts {

// The alert for one schema version, as posted:
//   text         one readable line (Slack's notification text and fallback)
//   blocks       Slack Block Kit: a header, one section per kind of change (added, removed,
//                renamed with confidence, type changes, rejected rename candidates), the
//                compatibility, and the command that resolves the version
//   attachments  one legacy attachment, color "danger" while BREAKING, with short fields
//                for source, version, status and compatibility
//   latebind     {source_id, version, status, compatibility, created_at, field_diff (as
//                registry::DiffToJson), resolve_command}
// Describes the version as it is now: one resolved before its alert went out says so.
// Long lists are cut to stay under Slack's block limits; `latebind.field_diff` is always
// complete. Pure; never fails.
nlohmann::ordered_json DriftMessage(const registry::SchemaVersion& version);

// The exact CLI that accepts the version: `latebind schema resolve SOURCE --version N
// --status ACTIVE --note "..." --map NEW=OLD...`, one --map per detected rename, each
// argument quoted for a POSIX shell where it needs it. The note is a placeholder for the
// person's reason.
std::string ResolveCommand(const registry::SchemaVersion& version);

// Slack mrkdwn escaping: &, < and > become &amp; &lt; &gt; (Slack's control characters), so
// a field named `<!channel>` cannot ping a channel or forge a link.
std::string EscapeMrkdwn(std::string_view text);

}  // namespace latebind::alerts
