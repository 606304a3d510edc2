#include "latebind/cli/registry_access.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "latebind/common/status.h"
#include "latebind/ingest/lander.h"

namespace latebind::cli {

arrow::Status RequireHome(const std::string& home) {
  struct stat st;
  if (::stat(home.c_str(), &st) != 0) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("no latebind home at {}: nothing was ingested there yet (is "
                                 "--home or $LATEBIND_HOME right?)",
                                 home));
  }
  if (!S_ISDIR(st.st_mode)) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("no latebind home at {}: it is not a directory", home));
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<registry::Registry>> OpenExistingRegistry(const std::string& home,
                                                                        RegistryAccess access) {
  ARROW_RETURN_NOT_OK(RequireHome(home));
  const std::string path = home + "/registry.db";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(
        ErrorKind::kNotFound,
        fmt::format("no registry at {}: nothing was ingested under --home {}", path, home));
  }
  return access == RegistryAccess::kRead ? registry::OpenRegistryToRead(home)
                                         : registry::OpenRegistry(home);
}

CLI::Validator SourceIdValidator() {
  return CLI::Validator(
      [](std::string& id) {
        const arrow::Status st = ingest::ValidateSourceId(id);
        return st.ok() ? std::string() : st.message();
      },
      "ID");
}

arrow::Result<std::vector<registry::SchemaVersion>> LoadVersions(registry::Registry& registry,
                                                                 const std::string& source_id) {
  auto versions = registry.Versions(source_id);
  if (!versions.ok()) {
    if (KindOf(versions.status()) != ErrorKind::kNotFound) return versions.status();
    return MakeError(ErrorKind::kNotFound,
                     fmt::format("unknown source '{}' (`latebind sources` lists them)", source_id));
  }
  if (versions->empty()) {
    return MakeError(ErrorKind::kNotFound,
                     fmt::format("source '{}' has no schema version yet: none of its payloads "
                                 "could be parsed (`latebind deadletter list --source {}`)",
                                 source_id, source_id));
  }
  return versions;
}

}  // namespace latebind::cli
