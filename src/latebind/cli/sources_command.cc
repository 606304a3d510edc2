// latebind sources : every source the registry knows, with its versions and counts.
#include <fmt/format.h>

#include <iostream>

#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"
#include "latebind/cli/registry_access.h"
#include "latebind/cli/schema_render.h"
#include "latebind/cli/text_table.h"
#include "latebind/common/status.h"
#include "latebind/registry/schema_json.h"

namespace latebind::cli {
namespace {

struct SourcesArgs {
  bool json = false;
  std::string color = "auto";
};

int RunSources(const GlobalOptions& global, const SourcesArgs& args) {
  std::vector<registry::SourceSummary> sources;
  auto opened = OpenExistingRegistry(global.home, RegistryAccess::kRead);
  if (opened.ok()) {
    auto listed = (*opened)->Sources();
    if (!listed.ok()) return ReportFailure("sources", listed.status(), args.json);
    sources = std::move(*listed);
  } else if (KindOf(opened.status()) != ErrorKind::kNotFound) {
    return ReportFailure("sources", opened.status(), args.json);
  }  // no registry yet: no sources, which is an answer, not an error
  if (args.json) {
    registry::Json out = registry::Json::array();
    for (const auto& s : sources) out.push_back(registry::SourceToJson(s));
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  std::cout << RenderSources(sources, UseColor(args.color));
  return kExitOk;
}

}  // namespace

void RegisterSourcesCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<SourcesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sources", "List the sources in the registry: versions, status, payloads, dead letters");
  cmd->footer(
      "One row per source: its number of schema versions, the latest one and its status, the\n"
      "ACTIVE version promotion binds to, the versions still BREAKING (they block promotion\n"
      "until resolved, also when a later additive version is ACTIVE; highlighted on a\n"
      "terminal), payloads and records applied, payloads dead-lettered and when the last\n"
      "payload arrived.\n\n"
      "Example:\n"
      "  latebind --home ./lake sources\n"
      "  latebind sources --json | jq '.[] | select(.breaking_versions | length > 0)'");
  cmd->add_flag("--json", args->json, "Print the sources as a JSON array");
  cmd->add_option("--color", args->color, "Color: auto (a terminal, NO_COLOR unset), always, never")
      ->check(CLI::IsMember(kColorChoices))
      ->capture_default_str();
  cmd->callback([args, &global, exit_code] { *exit_code = RunSources(global, *args); });
}

}  // namespace latebind::cli
