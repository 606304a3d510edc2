#include "latebind/storage/zone_keys.h"

namespace latebind::storage {

std::string MetaKeyOf(std::string_view object_key) {
  const size_t slash = object_key.rfind('/');
  const size_t dot = object_key.find('.', slash == std::string_view::npos ? 0 : slash);
  return std::string(object_key.substr(0, dot)) + ".meta.json";
}

std::string SourceOfKey(std::string_view key) {
  const size_t at = key.find("/source=");
  if (at == std::string_view::npos) return "";
  const size_t begin = at + 8;
  return std::string(key.substr(begin, key.find('/', begin) - begin));
}

std::string DateOfKey(std::string_view key) {
  const size_t at = key.find("/date=");
  if (at == std::string_view::npos) return "";
  const size_t begin = at + 6;
  return std::string(key.substr(begin, key.find('/', begin) - begin));
}

}  // namespace latebind::storage
