#include "omniroute/slab.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute {
namespace {

struct Record {
  std::string name;
  std::shared_ptr<int> held;
};

TEST(SlabTest, SlotsCountUpAndReleasedOnesComeBackLastFirst) {
  Slab<Record, 2> slab;
  for (uint32_t expected = 0; expected < 10; ++expected) EXPECT_EQ(slab.Acquire(), expected);
  EXPECT_EQ(slab.slots(), 10u);
  slab.Release(3);
  slab.Release(7);
  EXPECT_EQ(slab.Acquire(), 7u);
  EXPECT_EQ(slab.Acquire(), 3u);
  EXPECT_EQ(slab.Acquire(), 10u);
  EXPECT_EQ(slab.slots(), 11u);
}

TEST(SlabTest, ReleaseResetsTheRecordAndFreesWhatItHolds) {
  Slab<Record, 2> slab;
  const uint32_t slot = slab.Acquire();
  auto shared = std::make_shared<int>(5);
  slab[slot] = Record{"a", shared};
  EXPECT_EQ(shared.use_count(), 2);
  slab.Release(slot);
  EXPECT_EQ(shared.use_count(), 1);
  EXPECT_EQ(slab.Acquire(), slot);
  EXPECT_EQ(slab[slot].name, "");
  EXPECT_EQ(slab[slot].held, nullptr);
}

TEST(SlabTest, ForEachInUseVisitsTheSlotsInUseInSlotOrder) {
  Slab<Record, 2> slab;  // chunks of 4
  for (uint32_t slot = 0; slot < 10; ++slot) slab[slab.Acquire()].name = std::to_string(slot);
  slab.Release(3);
  slab.Release(7);
  slab.Release(9);
  slab[slab.Acquire()].name = "again";  // slot 9 back in use
  std::vector<std::string> visited;
  slab.ForEachInUse([&](uint32_t slot, const Record& record) {
    visited.push_back(absl::StrCat(slot, ":", record.name));
  });
  EXPECT_THAT(visited,
              ::testing::ElementsAre("0:0", "1:1", "2:2", "4:4", "5:5", "6:6", "8:8", "9:again"));
}

TEST(SlabTest, RecordsStayPutAsTheSlabGrowsAcrossChunks) {
  Slab<Record, 2> slab;  // chunks of 4
  std::vector<const Record*> addresses;
  for (int i = 0; i < 50; ++i) {
    const uint32_t slot = slab.Acquire();
    slab[slot].name = std::to_string(i);
    addresses.push_back(&slab[slot]);
  }
  for (uint32_t slot = 0; slot < 50; ++slot) {
    EXPECT_EQ(&slab[slot], addresses[slot]);
    EXPECT_EQ(slab[slot].name, std::to_string(slot));
  }
  std::vector<std::string> names;
  slab.ForEach([&](const Record& record) { names.push_back(record.name); });
  ASSERT_EQ(names.size(), 50u);
  EXPECT_EQ(names.front(), "0");
  EXPECT_EQ(names.back(), "49");
}

TEST(SlabTest, SpareRoomStaysUnderOneChunk) {
  Slab<int64_t, 6> slab;
  EXPECT_EQ(slab.MemoryBytes(), 0u);
  for (int i = 0; i < 1000; ++i) slab.Acquire();
  const size_t chunk = Slab<int64_t, 6>::kChunkRecords * sizeof(int64_t);
  const size_t records = 1000 * sizeof(int64_t);
  EXPECT_GE(slab.MemoryBytes(), records);
  // 16 chunks hold 1,024 records; the chunk table adds a pointer triple per chunk.
  EXPECT_LT(slab.MemoryBytes(), records + chunk + 16 * sizeof(std::vector<int64_t>) * 2);
}

}  // namespace
}  // namespace omniroute
