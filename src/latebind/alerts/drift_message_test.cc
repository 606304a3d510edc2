#include "latebind/alerts/drift_message.h"

#include <gtest/gtest.h>

#include "latebind/registry/schema_json.h"

namespace latebind::alerts {
namespace {

using Json = nlohmann::ordered_json;

registry::SchemaVersion BreakingOrders() {
  registry::SchemaVersion v;
  v.source_id = "orders";
  v.version = 3;
  v.sk = "version#2024-05-01T10:00:00.000Z";
  v.status = registry::VersionStatus::kBreaking;
  v.compatibility = registry::Compatibility::kBackward;
  v.created_at = "2024-05-01T10:00:00.000Z";
  v.fingerprint = "0123456789abcdef0123456789abcdef";
  for (auto [path, type] :
       {std::pair{"txn_date", FieldType::kDate}, std::pair{"coupon", FieldType::kString},
        std::pair{"amount", FieldType::kString}}) {
    registry::FieldSchema f;
    f.path = path;
    f.type = type;
    v.fields.push_back(f);
  }
  v.field_diff.added = {"coupon"};
  v.field_diff.removed = {"discount"};
  v.field_diff.renamed["transaction_date"] = {"txn_date", 0.873};
  v.field_diff.type_changed["amount"] = {FieldType::kInt64, FieldType::kString};
  v.field_diff.rejected_renames = {{"ship<to>", "dest&addr", 0.41}};
  return v;
}

// Every mrkdwn text of the message's blocks, joined.
std::string BlockTexts(const Json& message) {
  std::string all;
  for (const Json& block : message["blocks"]) {
    if (block.contains("text")) all += block["text"]["text"].get<std::string>() + "\n";
    for (const Json& f : block.value("fields", Json::array()))
      all += f["text"].get<std::string>() + "\n";
    for (const Json& e : block.value("elements", Json::array()))
      all += e["text"].get<std::string>() + "\n";
  }
  return all;
}

TEST(DriftMessage, TextIsOneReadableLine) {
  const Json m = DriftMessage(BreakingOrders());
  const std::string text = m["text"];
  EXPECT_EQ(text,
            ":rotating_light: Schema drift in source `orders`: version 3 is BREAKING — 1 renamed, "
            "1 removed, 1 added, 1 type changed (compatibility BACKWARD)");
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

TEST(DriftMessage, BlocksCarryTheWholeDiff) {
  const Json m = DriftMessage(BreakingOrders());
  ASSERT_TRUE(m["blocks"].is_array());
  EXPECT_EQ(m["blocks"][0]["type"], "header");
  EXPECT_EQ(m["blocks"][0]["text"]["type"], "plain_text");
  EXPECT_EQ(m["blocks"][0]["text"]["text"], "Schema drift: orders v3 is BREAKING");
  const std::string texts = BlockTexts(m);
  for (const char* piece :
       {"*Renamed (1)*", "`transaction_date` → `txn_date` (87% confidence)", "*Removed (1)*",
        "`discount`", "*Type changes (1)*", "`amount`: int64 → string", "*Added (1)*",
        "`coupon` (string)", "*Rename candidates rejected (1)*",
        "(41%, below the rename threshold)", "*Compatibility*\nBACKWARD", "*Status*\nBREAKING",
        "*Version*\n3", "*Source*\n`orders`", "Promotion of this source is blocked"}) {
    EXPECT_NE(texts.find(piece), std::string::npos) << piece << " missing from:\n" << texts;
  }
  for (const Json& block : m["blocks"]) {
    const std::string type = block["type"];
    EXPECT_TRUE(type == "header" || type == "section" || type == "context") << type;
  }
}

TEST(DriftMessage, EscapesSlackControlCharactersInFieldNames) {
  const Json m = DriftMessage(BreakingOrders());
  const std::string texts = BlockTexts(m);
  EXPECT_NE(texts.find("`ship&lt;to&gt;` → `dest&amp;addr`"), std::string::npos) << texts;
  EXPECT_EQ(texts.find("<to>"), std::string::npos);
  EXPECT_EQ(texts.find("dest&addr"), std::string::npos);
  // The structured member keeps names as they are: it is data, not mrkdwn.
  EXPECT_EQ(m["latebind"]["field_diff"]["rename_candidates_rejected"][0]["from"], "ship<to>");
  EXPECT_EQ(EscapeMrkdwn("<!channel> & <http://x|y>"), "&lt;!channel&gt; &amp; &lt;http://x|y&gt;");
}

TEST(DriftMessage, AttachmentHasDangerColorAndFields) {
  const Json m = DriftMessage(BreakingOrders());
  ASSERT_EQ(m["attachments"].size(), 1u);
  const Json& a = m["attachments"][0];
  EXPECT_EQ(a["color"], "danger");
  EXPECT_EQ(a["fallback"], m["text"]);
  std::map<std::string, std::string> fields;
  for (const Json& f : a["fields"]) fields[f["title"]] = f["value"];
  EXPECT_EQ(fields, (std::map<std::string, std::string>{{"Source", "orders"},
                                                        {"Version", "3"},
                                                        {"Status", "BREAKING"},
                                                        {"Compatibility", "BACKWARD"}}));
}

TEST(DriftMessage, StructuredMemberForMachines) {
  const registry::SchemaVersion v = BreakingOrders();
  const Json m = DriftMessage(v);
  const Json& l = m["latebind"];
  EXPECT_EQ(l["source_id"], "orders");
  EXPECT_EQ(l["version"], 3);
  EXPECT_EQ(l["status"], "BREAKING");
  EXPECT_EQ(l["compatibility"], "BACKWARD");
  EXPECT_EQ(l["created_at"], "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(l["field_diff"], registry::DiffToJson(v.field_diff));
  EXPECT_EQ(l["resolve_command"],
            "latebind schema resolve orders --version 3 --status ACTIVE --note \"...\" "
            "--map txn_date=transaction_date");
  // The command is in the blocks too, escaped for mrkdwn, in a code block.
  EXPECT_NE(BlockTexts(m).find("```latebind schema resolve orders --version 3"), std::string::npos);
}

TEST(DriftMessage, SerializesToValidJson) {
  const Json m = DriftMessage(BreakingOrders());
  const std::string wire = m.dump();
  const Json back = Json::parse(wire);
  EXPECT_EQ(back, m);
  EXPECT_EQ(std::vector<std::string>({"text", "blocks", "attachments", "latebind"}), [&] {
    std::vector<std::string> keys;
    for (const auto& [k, _] : back.items()) keys.push_back(k);
    return keys;
  }());
}

TEST(ResolveCommand, OneMapPerRenameQuotedForTheShell) {
  registry::SchemaVersion v = BreakingOrders();
  v.field_diff.renamed.clear();
  v.field_diff.renamed["items[].sku"] = {"items[].product_sku", 0.9};
  v.field_diff.renamed["it's"] = {"it is", 0.7};
  v.field_diff.renamed["b"] = {"a", 0.8};
  v.field_diff.renamed["customer.name"] = {"customer_name", 0.7};  // moved: no --map (ADR-105)
  EXPECT_EQ(ResolveCommand(v),
            "latebind schema resolve orders --version 3 --status ACTIVE --note \"...\" "
            "--map a=b --map 'it is=it'\\''s' --map 'items[].product_sku=items[].sku'");
}

TEST(ResolveCommand, NoRenamesNoMaps) {
  registry::SchemaVersion v = BreakingOrders();
  v.field_diff.renamed.clear();
  EXPECT_EQ(ResolveCommand(v),
            "latebind schema resolve orders --version 3 --status ACTIVE --note \"...\"");
}

TEST(DriftMessage, LongListsStayWithinSlackLimits) {
  registry::SchemaVersion v = BreakingOrders();
  for (int i = 0; i < 3000; ++i) v.field_diff.added.push_back("field_number_" + std::to_string(i));
  const Json m = DriftMessage(v);
  EXPECT_LE(m["blocks"].size(), 50u);
  bool cut = false;
  for (const Json& block : m["blocks"]) {
    if (!block.contains("text")) continue;
    const std::string text = block["text"]["text"];
    EXPECT_LE(text.size(), 3000u);
    cut =
        cut || text.find("more (the `latebind.field_diff` member lists all)") != std::string::npos;
  }
  EXPECT_TRUE(cut);
  EXPECT_EQ(m["latebind"]["field_diff"]["added"].size(), 3001u);
  EXPECT_LE(m["blocks"][0]["text"]["text"].get<std::string>().size(), 150u);
}

TEST(DriftMessage, AResolvedVersionSaysSo) {
  registry::SchemaVersion v = BreakingOrders();
  v.status = registry::VersionStatus::kActive;
  const Json m = DriftMessage(v);
  EXPECT_NE(m["text"].get<std::string>().find("version 3 is now ACTIVE"), std::string::npos);
  EXPECT_EQ(m["attachments"][0]["color"], "good");
  EXPECT_EQ(BlockTexts(m).find("Promotion of this source is blocked"), std::string::npos);
}

TEST(DriftMessage, NoChangesIsStillAValidMessage) {
  registry::SchemaVersion v = BreakingOrders();
  v.field_diff = {};
  const Json m = DriftMessage(v);
  EXPECT_NE(BlockTexts(m).find("No field changes are recorded."), std::string::npos);
  EXPECT_NE(m["text"].get<std::string>().find("0 renamed, 0 removed, 0 added, 0 type changed"),
            std::string::npos);
}

}  // namespace
}  // namespace latebind::alerts
