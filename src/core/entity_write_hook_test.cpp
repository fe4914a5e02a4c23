// The entity write hook (entity_write_hook.hpp): its amendments go into the same write as the
// entity, for single-entity operations and batches alike, and it learns when they are durable.
#include "citytwin/core/entity_write_hook.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "citytwin/core/entity_service.hpp"
#include "citytwin/store/memory_store.hpp"

namespace citytwin::core {
namespace {

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{1'767'225'600'000'000}; }
};

// Marks every entity it sees with a "seen" attribute and writes one document per write.
class MarkingHook final : public EntityWriteHook {
 public:
  Result<WriteAmendment> amend(std::string_view, const boost::json::object* before,
                               boost::json::object& entity, Instant) override {
    if (refuse) return make_error(ErrorKind::kBadRequestData, "refused by the hook");
    ++calls;
    entity["attrs"].as_object()["https://example.org/seen"] = boost::json::array{
        boost::json::object{{"type", "Property"}, {"value", before == nullptr ? "new" : "old"}}};
    WriteAmendment amendment;
    amendment.documents.push_back(store::DocumentWrite{
        "test.hook", std::string(entity.at("id").as_string()), std::to_string(calls)});
    amendment.after = [this](bool durable) { durable ? ++durable_calls : ++lost_calls; };
    return amendment;
  }
  int calls = 0;
  int durable_calls = 0;
  int lost_calls = 0;
  bool refuse = false;
};

boost::json::object entity(std::string_view id) {
  return boost::json::object{
      {"id", id},
      {"type", boost::json::array{"https://example.org/T"}},
      {"attrs",
       boost::json::object{{"https://example.org/a", boost::json::array{boost::json::object{
                                                         {"type", "Property"}, {"value", 1}}}}}}};
}

class EntityWriteHookTest : public ::testing::Test {
 protected:
  void SetUp() override { entities_.set_write_hook(&hook_); }

  std::string seen(std::string_view id) {
    auto found = entities_.get("", id);
    if (!found.ok()) return "missing";
    const auto* attr = found->at("attrs").as_object().if_contains("https://example.org/seen");
    return attr ? std::string(attr->as_array().at(0).at("value").as_string()) : "";
  }

  FixedClock clock_;
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  EntityService entities_{*store_, clock_};
  MarkingHook hook_;
};

TEST_F(EntityWriteHookTest, AmendsSingleWritesAtomically) {
  ASSERT_TRUE(entities_.create("", entity("urn:x:1")).ok());
  EXPECT_EQ(seen("urn:x:1"), "new");
  ASSERT_TRUE(
      entities_.update_attributes("", "urn:x:1", entity("urn:x:1").at("attrs").as_object()).ok());
  EXPECT_EQ(seen("urn:x:1"), "old");
  EXPECT_EQ(store_->get_document("test.hook", "urn:x:1").value(), std::optional<std::string>("2"));
  EXPECT_EQ(hook_.durable_calls, 2);
}

TEST_F(EntityWriteHookTest, AmendsEveryEntityOfABatch) {
  std::vector<BatchItem> items{{"urn:x:2", entity("urn:x:2")}, {"urn:x:3", entity("urn:x:3")}};
  auto outcome = entities_.batch("", BatchKind::kUpsertUpdate, std::move(items));
  ASSERT_FALSE(outcome.items[0].error);
  EXPECT_EQ(seen("urn:x:2"), "new");
  EXPECT_EQ(seen("urn:x:3"), "new");
  EXPECT_TRUE(store_->get_document("test.hook", "urn:x:3").value().has_value());
  EXPECT_EQ(hook_.durable_calls, 2);
}

TEST_F(EntityWriteHookTest, ARefusalWritesNothing) {
  hook_.refuse = true;
  EXPECT_FALSE(entities_.create("", entity("urn:x:4")).ok());
  std::vector<BatchItem> items{{"urn:x:5", entity("urn:x:5")}};
  auto outcome = entities_.batch("", BatchKind::kUpsertUpdate, std::move(items));
  ASSERT_TRUE(outcome.items[0].error);
  EXPECT_EQ(outcome.created, 0u);
  EXPECT_EQ(seen("urn:x:4"), "missing");
  EXPECT_EQ(seen("urn:x:5"), "missing");
}

}  // namespace
}  // namespace citytwin::core
