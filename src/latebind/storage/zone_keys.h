// What a zone key says (DESIGN.md §3): raw/ and dead-letter/ keys are
// <zone>/source=<id>/date=<YYYY-MM-DD>/<object-id>.<ext>[.gz], with the object's metadata at
// <zone>/source=<id>/date=<YYYY-MM-DD>/<object-id>.meta.json. The one place that reads keys
// apart; ingest writes them, promotion reads them back.
#pragma once

#include <string>
#include <string_view>

namespace latebind::storage {

// The key of an object's metadata: the key without its extensions, then ".meta.json".
std::string MetaKeyOf(std::string_view object_key);

// The source id in a key ("raw/source=<id>/date=.../..."), or "".
std::string SourceOfKey(std::string_view key);

// The arrival date in a key ("YYYY-MM-DD" from ".../date=<date>/..."), or "".
std::string DateOfKey(std::string_view key);

}  // namespace latebind::storage
