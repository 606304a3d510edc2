// Confirmed rename mappings followed as chains (rename_chain.h, ADR-087).
#include "latebind/registry/rename_chain.h"

#include <gtest/gtest.h>

namespace latebind::registry {
namespace {

SchemaVersion Version(std::vector<std::string> paths, std::map<std::string, std::string> maps) {
  SchemaVersion v;
  v.source_id = "s";
  v.version = 3;
  for (std::string& p : paths) {
    FieldSchema f;
    f.path = std::move(p);
    f.type = FieldType::kString;
    v.fields.push_back(std::move(f));
  }
  v.mappings = std::move(maps);
  return v;
}

using Paths = std::vector<std::string>;

TEST(RenameChainTest, MappingsComposeIntoTheColumnTheChainStartedFrom) {
  const SchemaVersion v = Version({"id", "a", "b", "c"}, {{"b", "a"}, {"c", "b"}});
  const RenameChains chains(v);
  const RenameChain c = chains.Follow("c");
  EXPECT_EQ(c.column, "a");
  EXPECT_EQ(c.through, (Paths{"b", "a"}));
  EXPECT_TRUE(c.mapped);
  EXPECT_FALSE(c.cycle);
  EXPECT_EQ(chains.Follow("b").column, "a");
  const RenameChain a = chains.Follow("a");
  EXPECT_EQ(a.column, "a");
  EXPECT_FALSE(a.mapped);
  EXPECT_TRUE(a.through.empty());
  EXPECT_EQ(chains.Follow("id").column, "id");
  EXPECT_TRUE(chains.IsReplaced("a") && chains.IsReplaced("b") && !chains.IsReplaced("c"));
  EXPECT_TRUE(chains.IsContinued("b") && !chains.IsContinued("c"));
}

// a renamed b, then b renamed back to a (a=b): one column, a, the one listed first; the walk
// ends from every member and from a field mapped onto the cycle.
TEST(RenameChainTest, ACycleEndsAtTheColumnListedFirst) {
  const SchemaVersion v = Version({"a", "b", "d"}, {{"b", "a"}, {"a", "b"}, {"d", "a"}});
  const RenameChains chains(v);
  for (const std::string path : {"a", "b", "d"}) {
    const RenameChain chain = chains.Follow(path);
    EXPECT_EQ(chain.column, "a") << path;
    EXPECT_TRUE(chain.mapped && chain.cycle) << path;
  }
  EXPECT_EQ(chains.Follow("b").through, (Paths{"a"}));
  EXPECT_EQ(chains.Follow("a").through, (Paths{"b", "a"}));
}

// Members follow their object's mapping first (it wins over one of theirs), then on.
TEST(RenameChainTest, ObjectsMoveTheirMembersAlongTheChain) {
  const SchemaVersion v = Version({"p", "p.k", "q", "q.k", "r", "r.k", "r.j"},
                                  {{"q", "p"}, {"r", "q"}, {"r.j", "r.k"}});
  const RenameChains chains(v);
  EXPECT_EQ(chains.Follow("r.k").column, "p.k");
  EXPECT_EQ(chains.Follow("r.j").column, "p.j");
  EXPECT_EQ(chains.Follow("q.k").through, (Paths{"p.k"}));
}

// Only mappings whose NEW is a field of the version apply, never one onto itself; paths
// that grow with every step (x=y.z, y=x.w) end too.
TEST(RenameChainTest, MappingsThatCannotApplyAreIgnoredAndEveryWalkEnds) {
  const SchemaVersion v =
      Version({"a", "b", "x", "y"}, {{"gone", "a"}, {"b", "b"}, {"x", "y.z"}, {"y", "x.w"}});
  const RenameChains chains(v);
  EXPECT_FALSE(chains.Follow("b").mapped);
  EXPECT_FALSE(chains.IsReplaced("a"));
  const RenameChain x = chains.Follow("x");
  EXPECT_TRUE(x.cycle);
  EXPECT_EQ(x.column, "x");
}

}  // namespace
}  // namespace latebind::registry
