#include "omniroute/skills.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/hash/hash_testing.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The tags of the worked example in skills.h, plus a few more.
SkillCatalog Tags() {
  SkillCatalog catalog;
  for (std::string_view tag : {"billing", "billing_l1", "zh", "en", "trainee", "vip_desk",
                               "region:emea", "tech.network", "senior"}) {
    EXPECT_TRUE(catalog.Add(tag).ok()) << tag;
  }
  return catalog;
}

SkillId Id(const SkillCatalog& catalog, std::string_view name) {
  absl::StatusOr<SkillId> id = catalog.Find(name);
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? *id : 0;
}

SkillSet MustSkills(const SkillCatalog& catalog, const std::map<std::string, int>& levels) {
  absl::StatusOr<SkillSet> skills = SkillSetFromNames(catalog, levels);
  EXPECT_TRUE(skills.ok()) << skills.status();
  return skills.ok() ? *skills : SkillSet();
}

RequirementSpec MustSpec(const SkillCatalog& catalog, const NamedRequirement& named) {
  absl::StatusOr<RequirementSpec> spec = RequirementSpecFromNames(catalog, named);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : RequirementSpec();
}

Requirement MustRequirement(const SkillCatalog& catalog, const NamedRequirement& named) {
  absl::StatusOr<Requirement> requirement = Requirement::Create(MustSpec(catalog, named), catalog);
  EXPECT_TRUE(requirement.ok()) << requirement.status();
  return requirement.ok() ? *requirement : Requirement();
}

RequirementPlan MustPlan(const SkillCatalog& catalog, const NamedRequirement& named) {
  absl::StatusOr<RequirementPlan> plan = RequirementPlan::Create(MustSpec(catalog, named), catalog);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? *plan : RequirementPlan();
}

// The worked example at the top of skills.h, verbatim.
absl::Status HeaderExample() {
  omniroute::SkillCatalog catalog;
  for (std::string_view tag : {"billing", "billing_l1", "zh", "en", "trainee", "vip_desk"}) {
    if (absl::Status s = catalog.Add(tag).status(); !s.ok()) return s;
  }
  absl::StatusOr<omniroute::SkillSet> agent =
      omniroute::SkillSetFromNames(catalog, {{"billing", 4}, {"zh", 7}});

  omniroute::NamedRequirement named;
  named.must = {{"billing", 6}, {"zh", 3}};
  named.preferred = {{"vip_desk", 2.0}};
  named.excluded = {"trainee"};
  named.steps = {{absl::Minutes(2), omniroute::RelaxationKind::kLowerLevel, "billing", "", 3},
                 {absl::Minutes(5), omniroute::RelaxationKind::kWiden, "billing", "billing_l1", 1}};
  absl::StatusOr<omniroute::RequirementSpec> spec =
      omniroute::RequirementSpecFromNames(catalog, named);
  absl::StatusOr<omniroute::RequirementPlan> plan =
      omniroute::RequirementPlan::Create(*spec, catalog);
  EXPECT_FALSE(plan->EffectiveAfter(absl::Seconds(30)).Matches(*agent));
  EXPECT_TRUE(plan->EffectiveAfter(absl::Minutes(2)).Matches(*agent));
  EXPECT_EQ(plan->NextStepAfter(absl::Minutes(2)), absl::Minutes(5));
  return absl::OkStatus();
}

TEST(SkillsTest, HeaderExample) { EXPECT_TRUE(HeaderExample().ok()); }

// --- SkillCatalog ---

TEST(SkillCatalogTest, InternsNamesToDenseIds) {
  SkillCatalog catalog;
  EXPECT_TRUE(catalog.empty());
  EXPECT_EQ(*catalog.Add("billing"), 0u);
  EXPECT_EQ(*catalog.Add("zh"), 1u);
  EXPECT_EQ(*catalog.Add("billing"), 0u);  // known: same id, nothing added
  EXPECT_EQ(catalog.size(), 2u);
  EXPECT_EQ(*catalog.Find("zh"), 1u);
  EXPECT_EQ(catalog.Name(0), "billing");
  EXPECT_EQ(catalog.Name(7), "");
  EXPECT_TRUE(catalog.Contains("zh"));
  EXPECT_FALSE(catalog.Contains("ZH"));  // case matters
  EXPECT_TRUE(catalog.Contains(SkillId{1}));
  EXPECT_FALSE(catalog.Contains(SkillId{2}));

  absl::StatusOr<SkillId> unknown = catalog.Find("tech");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "unknown skill \"tech\"");
}

TEST(SkillCatalogTest, RejectsMalformedNamesWithoutChangingAnything) {
  SkillCatalog catalog = Tags();
  const SkillCatalog before = catalog;
  for (std::string_view bad : {"", "has space", "ünïcode", "a/b", "tab\t", "quote\""}) {
    absl::StatusOr<SkillId> id = catalog.Add(bad);
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(catalog.Add("has space").status().message(), HasSubstr("\"has space\""));
  EXPECT_EQ(catalog.Add(std::string(kMaxSkillNameLength + 1, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(catalog.Add(std::string(kMaxSkillNameLength, 'x')).ok());
  EXPECT_TRUE(catalog.Add("lang:zh-CN.v2_x").ok());
  EXPECT_EQ(catalog.size(), before.size() + 2);
  EXPECT_EQ(catalog.Name(static_cast<SkillId>(before.size())), std::string(64, 'x'));
}

TEST(SkillCatalogTest, NameViewsSurviveGrowth) {
  SkillCatalog catalog;
  ASSERT_TRUE(catalog.Add("a").ok());
  const std::string_view first = catalog.Name(0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(catalog.Add(absl::StrCat("skill_", i)).ok());
  EXPECT_EQ(first, "a");
  EXPECT_EQ(first.data(), catalog.Name(0).data());
}

TEST(SkillCatalogTest, CopiesAreIndependentAndComparable) {
  SkillCatalog a = Tags();
  SkillCatalog b = a;
  EXPECT_EQ(a, b);
  ASSERT_TRUE(b.Add("new_tag").ok());
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(a.Contains("new_tag"));
  EXPECT_EQ(*b.Find("new_tag"), a.size());
}

// --- SkillSet ---

TEST(SkillSetTest, SetLevelRemove) {
  SkillSet skills;
  EXPECT_TRUE(skills.empty());
  EXPECT_EQ(skills.Level(5), 0);
  ASSERT_TRUE(skills.Set(5, 7).ok());
  ASSERT_TRUE(skills.Set(300, 2).ok());
  ASSERT_TRUE(skills.Set(64, 100).ok());
  ASSERT_TRUE(skills.Set(0, 1).ok());
  EXPECT_EQ(skills.size(), 4u);
  EXPECT_TRUE(skills.Has(300));
  EXPECT_FALSE(skills.Has(301));
  EXPECT_FALSE(skills.Has(100000));
  EXPECT_EQ(skills.Level(5), 7);
  EXPECT_EQ(skills.Level(64), 100);
  EXPECT_EQ(skills.Level(300), 2);
  EXPECT_EQ(skills.Level(0), 1);
  ASSERT_TRUE(skills.Set(5, 3).ok());  // replaces the level
  EXPECT_EQ(skills.Level(5), 3);
  EXPECT_EQ(skills.size(), 4u);

  EXPECT_TRUE(skills.Remove(300));
  EXPECT_FALSE(skills.Remove(300));
  EXPECT_EQ(skills.Level(300), 0);
  EXPECT_EQ(skills.Level(64), 100);
  EXPECT_THAT(std::vector<SkillLevel>(skills.begin(), skills.end()),
              ElementsAre(SkillLevel{0, 1}, SkillLevel{5, 3}, SkillLevel{64, 100}));
}

TEST(SkillSetTest, RejectsLevelsAndIdsOutOfRange) {
  SkillSet skills;
  ASSERT_TRUE(skills.Set(3, 4).ok());
  const SkillSet before = skills;
  for (int level : {0, -1, kMaxSkillLevel + 1, 1000}) {
    absl::Status status = skills.Set(3, level);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << level;
    EXPECT_THAT(status.message(), HasSubstr(std::to_string(level)));
    EXPECT_EQ(skills.Set(9, level).code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(skills.Set(kMaxSkills, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(skills, before);
  EXPECT_TRUE(skills.Set(kMaxSkills - 1, kMaxSkillLevel).ok());
  EXPECT_EQ(skills.Level(kMaxSkills - 1), kMaxSkillLevel);
}

TEST(SkillSetTest, EqualAndHashedAlikeWhateverTheOrderOfChanges) {
  SkillSet a, b, c;
  ASSERT_TRUE(a.Set(1, 5).ok());
  ASSERT_TRUE(a.Set(200, 3).ok());
  ASSERT_TRUE(b.Set(200, 9).ok());
  ASSERT_TRUE(b.Set(1, 5).ok());
  ASSERT_TRUE(b.Set(399, 1).ok());  // grows the bitset...
  ASSERT_TRUE(b.Set(200, 3).ok());
  EXPECT_TRUE(b.Remove(399));  // ...and shrinks it back
  EXPECT_EQ(a, b);
  EXPECT_EQ(absl::Hash<SkillSet>{}(a), absl::Hash<SkillSet>{}(b));
  ASSERT_TRUE(c.Set(1, 5).ok());
  EXPECT_FALSE(a == c);
  EXPECT_FALSE(a == SkillSet());
  SkillSet emptied = c;
  EXPECT_TRUE(emptied.Remove(1));
  EXPECT_EQ(emptied, SkillSet());
  EXPECT_TRUE(absl::VerifyTypeImplementsAbslHashCorrectly({SkillSet(), a, c, emptied}));
}

TEST(SkillSetTest, IteratesInIdOrderAcrossWords) {
  SkillSet skills;
  const std::vector<SkillId> ids = {399, 0, 63, 64, 130, 127, 128, 5};
  for (SkillId id : ids) ASSERT_TRUE(skills.Set(id, static_cast<int>(id % 100) + 1).ok());
  std::vector<SkillId> seen;
  for (SkillLevel skill : skills) {
    seen.push_back(skill.skill);
    EXPECT_EQ(skill.level, static_cast<int>(skill.skill % 100) + 1);
  }
  std::vector<SkillId> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(seen, sorted);
  EXPECT_EQ(SkillSet().begin(), SkillSet().end());

  SkillSet high;  // only a skill in a late word: leading words are zero
  ASSERT_TRUE(high.Set(700, 4).ok());
  EXPECT_THAT(std::vector<SkillLevel>(high.begin(), high.end()), ElementsAre(SkillLevel{700, 4}));
}

TEST(SkillSetTest, FromNames) {
  const SkillCatalog catalog = Tags();
  absl::StatusOr<SkillSet> skills = SkillSetFromNames(catalog, {{"billing", 4}, {"zh", 7}});
  ASSERT_TRUE(skills.ok()) << skills.status();
  EXPECT_EQ(skills->Level(Id(catalog, "billing")), 4);
  EXPECT_EQ(skills->Level(Id(catalog, "zh")), 7);
  EXPECT_EQ(catalog.Describe(*skills), "{billing:4, zh:7}");

  absl::StatusOr<SkillSet> unknown = SkillSetFromNames(catalog, {{"billing", 4}, {"fr", 2}});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "unknown skill \"fr\"");
  absl::StatusOr<SkillSet> bad_level = SkillSetFromNames(catalog, {{"zh", 0}});
  EXPECT_EQ(bad_level.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_level.status().message(), "skill \"zh\": level 0 outside 1..100");
}

// --- Requirement: matching and scoring ---

TEST(RequirementTest, MatchesLevelsAndExclusions) {
  const SkillCatalog catalog = Tags();
  const Requirement requirement =
      MustRequirement(catalog, {.must = {{"billing", 6}, {"zh", 3}}, .excluded = {"trainee"}});
  EXPECT_TRUE(requirement.Matches(MustSkills(catalog, {{"billing", 6}, {"zh", 3}})));
  EXPECT_TRUE(requirement.Matches(MustSkills(catalog, {{"billing", 9}, {"zh", 10}, {"en", 2}})));
  // Level too low on one must-have.
  EXPECT_FALSE(requirement.Matches(MustSkills(catalog, {{"billing", 5}, {"zh", 10}})));
  EXPECT_FALSE(requirement.Matches(MustSkills(catalog, {{"billing", 6}, {"zh", 2}})));
  // A must-have missing.
  EXPECT_FALSE(requirement.Matches(MustSkills(catalog, {{"billing", 6}})));
  EXPECT_FALSE(requirement.Matches(SkillSet()));
  // Excluded at any level.
  EXPECT_FALSE(
      requirement.Matches(MustSkills(catalog, {{"billing", 9}, {"zh", 9}, {"trainee", 1}})));
}

TEST(RequirementTest, EmptyRequirementMatchesEveryone) {
  const SkillCatalog catalog = Tags();
  const Requirement any;
  EXPECT_TRUE(any.matches_all());
  EXPECT_TRUE(any.Matches(SkillSet()));
  EXPECT_TRUE(any.Matches(MustSkills(catalog, {{"trainee", 1}})));
  EXPECT_EQ(any.Score(MustSkills(catalog, {{"billing", 5}})), 0.0);
  EXPECT_EQ(any, MustRequirement(catalog, {}));

  const Requirement only_preferences = MustRequirement(catalog, {.preferred = {{"senior", 1.5}}});
  EXPECT_TRUE(only_preferences.matches_all());
  EXPECT_TRUE(only_preferences.Matches(SkillSet()));
  EXPECT_EQ(only_preferences.Score(MustSkills(catalog, {{"senior", 4}})), 6.0);

  const Requirement only_exclusion = MustRequirement(catalog, {.excluded = {"trainee"}});
  EXPECT_FALSE(only_exclusion.matches_all());
  EXPECT_TRUE(only_exclusion.Matches(SkillSet()));
  EXPECT_FALSE(only_exclusion.Matches(MustSkills(catalog, {{"trainee", 1}})));
}

TEST(RequirementTest, ExplainsTheFirstReasonAnAgentFails) {
  SkillCatalog catalog;
  const SkillId billing = *catalog.Add("billing");
  const SkillId zh = *catalog.Add("zh");
  const SkillId en = *catalog.Add("en");
  const SkillId trainee = *catalog.Add("trainee");
  absl::StatusOr<Requirement> r = Requirement::Create(
      {.must = {{billing, 5}, {zh, 3, {{en, 4}}}}, .excluded = {trainee}}, catalog);
  ASSERT_TRUE(r.ok());
  using Kind = Requirement::Mismatch::Kind;
  const auto explain = [&](std::vector<std::pair<SkillId, int>> skills) {
    SkillSet agent;
    for (auto [skill, level] : skills) EXPECT_TRUE(agent.Set(skill, level).ok());
    const Requirement::Mismatch m = r->Explain(agent);
    EXPECT_EQ(m.kind == Kind::kMatches, r->Matches(agent));
    return m;
  };
  EXPECT_EQ(explain({{billing, 5}, {en, 4}}).kind, Kind::kMatches);
  EXPECT_EQ(explain({{billing, 9}, {zh, 3}, {trainee, 1}}),
            (Requirement::Mismatch{Kind::kExcludedTag, trainee, 0, 1}));
  EXPECT_EQ(explain({{billing, 4}, {zh, 3}}),
            (Requirement::Mismatch{Kind::kLevelTooLow, billing, 5, 4}));
  EXPECT_EQ(explain({{zh, 3}}), (Requirement::Mismatch{Kind::kMissingSkill, billing, 5, 0}));
  EXPECT_EQ(explain({{billing, 5}, {en, 2}}),
            (Requirement::Mismatch{Kind::kLevelTooLow, en, 4, 2}));
  EXPECT_EQ(explain({{billing, 5}}).kind, Kind::kMissingSkill);
}

TEST(RequirementTest, ScoreFormula) {
  const SkillCatalog catalog = Tags();
  const Requirement requirement = MustRequirement(
      catalog,
      {.must = {{"billing", 3}, {"zh", 1}}, .preferred = {{"vip_desk", 2.0}, {"senior", 0.5}}});
  // must: 8 + 2; preferred: 2 x 5 + 0.5 x 0.
  EXPECT_EQ(requirement.Score(MustSkills(catalog, {{"billing", 8}, {"zh", 2}, {"vip_desk", 5}})),
            20.0);
  // A more skilled agent scores higher on the same must-haves.
  EXPECT_GT(requirement.Score(MustSkills(catalog, {{"billing", 9}, {"zh", 2}})),
            requirement.Score(MustSkills(catalog, {{"billing", 5}, {"zh", 2}})));
  // A must-have below its level contributes nothing (Score does not check Matches).
  EXPECT_EQ(requirement.Score(MustSkills(catalog, {{"billing", 2}, {"senior", 4}})), 2.0);
  EXPECT_EQ(requirement.Score(SkillSet()), 0.0);
}

TEST(RequirementTest, AlternativesAcceptAnyOfTheirSkills) {
  const SkillCatalog catalog = Tags();
  RequirementSpec spec = MustSpec(catalog, {.must = {{"billing", 5}}, .excluded = {"trainee"}});
  spec.must[0].alternatives = {{Id(catalog, "billing_l1"), 2}, {Id(catalog, "senior"), 7}};
  absl::StatusOr<Requirement> requirement = Requirement::Create(spec, catalog);
  ASSERT_TRUE(requirement.ok()) << requirement.status();
  EXPECT_TRUE(requirement->Matches(MustSkills(catalog, {{"billing", 5}})));
  EXPECT_TRUE(requirement->Matches(MustSkills(catalog, {{"billing_l1", 2}})));
  EXPECT_TRUE(requirement->Matches(MustSkills(catalog, {{"billing", 1}, {"senior", 7}})));
  EXPECT_FALSE(requirement->Matches(MustSkills(catalog, {{"billing", 4}, {"billing_l1", 1}})));
  EXPECT_FALSE(requirement->Matches(MustSkills(catalog, {{"billing_l1", 9}, {"trainee", 1}})));
  // The best satisfying skill counts: billing 4 does not satisfy, billing_l1 3 and senior 8 do.
  EXPECT_EQ(
      requirement->Score(MustSkills(catalog, {{"billing", 4}, {"billing_l1", 3}, {"senior", 8}})),
      8.0);
  EXPECT_EQ(catalog.Describe(*requirement), "(billing>=5 | billing_l1>=2 | senior>=7) & !trainee");
}

TEST(RequirementTest, Describe) {
  const SkillCatalog catalog = Tags();
  const Requirement requirement =
      MustRequirement(catalog, {.must = {{"zh", 3}, {"billing", 6}},
                                .preferred = {{"vip_desk", 2.0}, {"senior", 0.25}, {"en", 0.0}},
                                .excluded = {"trainee"}});
  EXPECT_EQ(catalog.Describe(requirement),
            "billing>=6 & zh>=3 & !trainee; prefer vip_desk*2, senior*0.25");
  std::ostringstream ids;
  ids << requirement;
  EXPECT_EQ(ids.str(), "#0>=6 & #2>=3 & !#4; prefer #5*2, #8*0.25");
  EXPECT_EQ(catalog.Describe(Requirement()), "any");
  std::ostringstream set;
  set << MustSkills(catalog, {{"zh", 3}, {"billing", 6}});
  EXPECT_EQ(set.str(), "{#0:6, #2:3}");
}

// --- Requirement: canonical form ---

TEST(RequirementTest, CanonicalRegardlessOfListingOrder) {
  const SkillCatalog catalog = Tags();
  const SkillId billing = Id(catalog, "billing"), zh = Id(catalog, "zh"), en = Id(catalog, "en"),
                l1 = Id(catalog, "billing_l1"), trainee = Id(catalog, "trainee"),
                vip = Id(catalog, "vip_desk"), senior = Id(catalog, "senior");
  RequirementSpec a;
  a.must = {{billing, 5, {{l1, 2}, {senior, 3}}}, {zh, 2, {}}};
  a.preferred = {{vip, 2.0}, {en, 1.0}, {senior, 0.0}};
  a.excluded = {trainee, Id(catalog, "region:emea")};
  RequirementSpec b;
  b.must = {{zh, 2, {}}, {l1, 2, {{senior, 3}, {billing, 5}}}};  // another skill names it
  b.preferred = {{en, 1.0}, {vip, 2.0}};                         // no zero weight
  b.excluded = {Id(catalog, "region:emea"), trainee};
  const Requirement ra = *Requirement::Create(a, catalog);
  const Requirement rb = *Requirement::Create(b, catalog);
  EXPECT_EQ(ra, rb);
  EXPECT_EQ(absl::Hash<Requirement>{}(ra), absl::Hash<Requirement>{}(rb));
  EXPECT_THAT(ra.excluded(), ElementsAre(trainee, Id(catalog, "region:emea")));
  ASSERT_EQ(ra.preferred().size(), 2u);
  EXPECT_EQ(ra.preferred()[0].skill, en);

  RequirementSpec c = b;
  c.must[0].min_level = 3;
  const Requirement rc = *Requirement::Create(c, catalog);
  EXPECT_FALSE(ra == rc);
  RequirementSpec d = b;
  d.preferred[0].weight = 1.5;
  EXPECT_FALSE(ra == *Requirement::Create(d, catalog));
  EXPECT_TRUE(absl::VerifyTypeImplementsAbslHashCorrectly({Requirement(), ra, rc}));

  absl::flat_hash_set<Requirement> classes = {ra, rb, rc, Requirement()};
  EXPECT_EQ(classes.size(), 3u);
}

// --- Requirement: errors ---

TEST(RequirementTest, RejectsInvalidSpecs) {
  const SkillCatalog catalog = Tags();
  const SkillId billing = Id(catalog, "billing"), zh = Id(catalog, "zh"),
                trainee = Id(catalog, "trainee"), vip = Id(catalog, "vip_desk");
  struct Case {
    RequirementSpec spec;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{.must = {{99, 1, {}}}}, absl::StatusCode::kNotFound, "skill id 99 is not in the catalog"},
      {{.must = {{billing, 1, {{99, 1}}}}}, absl::StatusCode::kNotFound, "skill id 99"},
      {{.preferred = {{99, 1.0}}}, absl::StatusCode::kNotFound, "skill id 99"},
      {{.excluded = {99}}, absl::StatusCode::kNotFound, "skill id 99"},
      {{.must = {{billing, 0, {}}}},
       absl::StatusCode::kInvalidArgument,
       "skill \"billing\": level 0 outside 1..100"},
      {{.must = {{billing, 101, {}}}}, absl::StatusCode::kInvalidArgument, "level 101"},
      {{.must = {{billing, 1, {{zh, 0}}}}},
       absl::StatusCode::kInvalidArgument,
       "skill \"zh\": level 0"},
      {{.preferred = {{vip, -0.5}}},
       absl::StatusCode::kInvalidArgument,
       "preferred skill \"vip_desk\": weight -0.5 must be finite and >= 0"},
      {{.preferred = {{vip, std::nan("")}}}, absl::StatusCode::kInvalidArgument, "weight nan"},
      {{.preferred = {{vip, std::numeric_limits<double>::infinity()}}},
       absl::StatusCode::kInvalidArgument,
       "weight inf"},
      {{.must = {{billing, 1, {}}, {zh, 1, {}}, {billing, 3, {}}}},
       absl::StatusCode::kInvalidArgument,
       "skill \"billing\" is a must-have twice"},
      {{.must = {{billing, 1, {{zh, 1}, {zh, 2}}}}},
       absl::StatusCode::kInvalidArgument,
       "skill \"zh\" is listed twice in the must-have skill \"billing\""},
      {{.must = {{billing, 1, {{billing, 2}}}}},
       absl::StatusCode::kInvalidArgument,
       "listed twice"},
      {{.preferred = {{vip, 1.0}, {vip, 2.0}}},
       absl::StatusCode::kInvalidArgument,
       "skill \"vip_desk\" is preferred twice"},
      {{.excluded = {trainee, trainee}},
       absl::StatusCode::kInvalidArgument,
       "skill \"trainee\" is excluded twice"},
      {{.must = {{billing, 1, {}}}, .excluded = {billing}},
       absl::StatusCode::kInvalidArgument,
       "skill \"billing\" is both required and excluded"},
      {{.must = {{billing, 1, {{trainee, 1}}}}, .excluded = {trainee}},
       absl::StatusCode::kInvalidArgument,
       "skill \"trainee\" is both required and excluded"},
      {{.preferred = {{trainee, 1.0}}, .excluded = {trainee}},
       absl::StatusCode::kInvalidArgument,
       "skill \"trainee\" is both preferred and excluded"},
      {{.must = {{billing, 1, {}}}, .steps = {RelaxationStep::Drop(absl::Minutes(1), billing)}},
       absl::StatusCode::kInvalidArgument,
       "1 relaxation step(s): build a RequirementPlan"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Requirement> requirement = Requirement::Create(c.spec, catalog);
    EXPECT_EQ(requirement.status().code(), c.code) << c.message;
    EXPECT_THAT(requirement.status().message(), HasSubstr(c.message));
    if (c.spec.steps.empty()) {
      EXPECT_EQ(RequirementPlan::Create(c.spec, catalog).status(), requirement.status());
    }
  }
  // A preference on a must-have skill is allowed: it adds weight x level on top.
  absl::StatusOr<Requirement> both =
      Requirement::Create({.must = {{billing, 2, {}}}, .preferred = {{billing, 1.0}}}, catalog);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->Score(MustSkills(catalog, {{"billing", 3}})), 6.0);
}

TEST(RequirementTest, FromNamesReportsUnknownNames) {
  const SkillCatalog catalog = Tags();
  const auto code_and_message = [&](const NamedRequirement& named) {
    absl::StatusOr<RequirementSpec> spec = RequirementSpecFromNames(catalog, named);
    EXPECT_FALSE(spec.ok());
    return std::pair(spec.status().code(), std::string(spec.status().message()));
  };
  EXPECT_EQ(code_and_message({.must = {{"billing", 3}, {"fr", 1}}}),
            std::pair(absl::StatusCode::kNotFound, std::string("unknown skill \"fr\"")));
  EXPECT_EQ(code_and_message({.preferred = {{"gold", 1.0}}}).second, "unknown skill \"gold\"");
  EXPECT_EQ(code_and_message({.excluded = {"intern"}}).second, "unknown skill \"intern\"");
  EXPECT_EQ(
      code_and_message(
          {.must = {{"billing", 3}},
           .steps = {{absl::Minutes(1), RelaxationKind::kLowerLevel, "billing", "", 2},
                     {absl::Minutes(2), RelaxationKind::kWiden, "billing", "billing_l2", 1}}}),
      std::pair(absl::StatusCode::kNotFound,
                std::string("steps[1]: unknown skill \"billing_l2\"")));
  // The alternative of a step that does not widen is not looked up.
  EXPECT_TRUE(RequirementSpecFromNames(catalog, {.must = {{"billing", 3}},
                                                 .steps = {{absl::Minutes(1), RelaxationKind::kDrop,
                                                            "billing", "whatever", 1}}})
                  .ok());
}

// --- RequirementPlan ---

// The worked example of skills.h: billing 6 -> 3 after 2 min, + billing_l1 after 5 min, no
// trainee restriction after 10 min.
NamedRequirement Bullseye() {
  return {.must = {{"billing", 6}, {"zh", 3}},
          .preferred = {{"vip_desk", 2.0}},
          .excluded = {"trainee"},
          .steps = {{absl::Minutes(2), RelaxationKind::kLowerLevel, "billing", "", 3},
                    {absl::Minutes(5), RelaxationKind::kWiden, "billing", "billing_l1", 1},
                    {absl::Minutes(10), RelaxationKind::kDrop, "trainee", "", 1}}};
}

TEST(RequirementPlanTest, StepsWidenThePoolOverTime) {
  const SkillCatalog catalog = Tags();
  const RequirementPlan plan = MustPlan(catalog, Bullseye());
  ASSERT_EQ(plan.step_count(), 3);
  const SkillSet mid = MustSkills(catalog, {{"billing", 4}, {"zh", 7}});
  const SkillSet backup = MustSkills(catalog, {{"billing_l1", 1}, {"zh", 3}});
  const SkillSet trainee = MustSkills(catalog, {{"billing_l1", 5}, {"zh", 5}, {"trainee", 1}});

  EXPECT_EQ(catalog.Describe(plan.Effective(0)),
            "billing>=6 & zh>=3 & !trainee; prefer vip_desk*2");
  EXPECT_EQ(catalog.Describe(plan.Effective(3)),
            "(billing>=3 | billing_l1>=1) & zh>=3; prefer vip_desk*2");

  const std::vector<std::pair<absl::Duration, std::vector<bool>>> expected = {
      {-absl::Seconds(1), {false, false, false}},    {absl::ZeroDuration(), {false, false, false}},
      {absl::Seconds(119), {false, false, false}},   {absl::Minutes(2), {true, false, false}},
      {absl::Minutes(7), {true, true, false}},       {absl::Minutes(10), {true, true, true}},
      {absl::InfiniteDuration(), {true, true, true}}};
  for (const auto& [waited, matches] : expected) {
    const Requirement& effective = plan.EffectiveAfter(waited);
    EXPECT_EQ(effective.Matches(mid), matches[0]) << waited;
    EXPECT_EQ(effective.Matches(backup), matches[1]) << waited;
    EXPECT_EQ(effective.Matches(trainee), matches[2]) << waited;
  }
  // Each step only widens: an agent matching at step k matches at every later step.
  for (int k = 0; k < plan.step_count(); ++k) {
    for (const SkillSet* agent : {&mid, &backup, &trainee}) {
      if (plan.Effective(k).Matches(*agent)) {
        EXPECT_TRUE(plan.Effective(k + 1).Matches(*agent));
      }
    }
  }
  EXPECT_EQ(plan.Effective(-5), plan.Effective(0));
  EXPECT_EQ(plan.Effective(99), plan.Effective(3));
}

TEST(RequirementPlanTest, TimerArithmetic) {
  const SkillCatalog catalog = Tags();
  NamedRequirement named = Bullseye();
  // Two changes at the same moment apply together, in list order.
  named.steps.insert(named.steps.begin() + 1,
                     {absl::Minutes(2), RelaxationKind::kLowerLevel, "zh", "", 1});
  const RequirementPlan plan = MustPlan(catalog, named);
  EXPECT_EQ(plan.StepsDueAfter(-absl::Minutes(1)), 0);
  EXPECT_EQ(plan.StepsDueAfter(absl::ZeroDuration()), 0);
  EXPECT_EQ(plan.StepsDueAfter(absl::Minutes(2) - absl::Nanoseconds(1)), 0);
  EXPECT_EQ(plan.StepsDueAfter(absl::Minutes(2)), 2);
  EXPECT_EQ(plan.StepsDueAfter(absl::Minutes(9)), 3);
  EXPECT_EQ(plan.StepsDueAfter(absl::Hours(1)), 4);
  EXPECT_EQ(plan.NextStepAfter(-absl::Minutes(1)), absl::Minutes(2));
  EXPECT_EQ(plan.NextStepAfter(absl::ZeroDuration()), absl::Minutes(2));
  EXPECT_EQ(plan.NextStepAfter(absl::Minutes(2)), absl::Minutes(5));
  EXPECT_EQ(plan.NextStepAfter(absl::Minutes(5)), absl::Minutes(10));
  EXPECT_EQ(plan.NextStepAfter(absl::Minutes(10)), absl::InfiniteDuration());
  EXPECT_EQ(plan.EffectiveAfter(absl::Minutes(3)), plan.Effective(2));

  // A step at zero applies from the start of waiting.
  const RequirementPlan immediate = MustPlan(
      catalog, {.must = {{"billing", 5}},
                .steps = {{absl::ZeroDuration(), RelaxationKind::kWiden, "billing", "senior", 1}}});
  EXPECT_EQ(immediate.StepsDueAfter(absl::ZeroDuration()), 1);
  EXPECT_TRUE(
      immediate.EffectiveAfter(absl::ZeroDuration()).Matches(MustSkills(catalog, {{"senior", 1}})));

  const RequirementPlan none;
  EXPECT_EQ(none.step_count(), 0);
  EXPECT_EQ(none.NextStepAfter(absl::ZeroDuration()), absl::InfiniteDuration());
  EXPECT_TRUE(none.EffectiveAfter(absl::Hours(1)).matches_all());
  EXPECT_EQ(none, MustPlan(catalog, {}));
}

TEST(RequirementPlanTest, RelaxedItemsJoinTheClassOfEqualRequirements) {
  const SkillCatalog catalog = Tags();
  // Item 1 asks billing 6 and relaxes to billing 3 after 2 min; item 2 asks billing 3 from the
  // start; item 3 names the same skills in another order and relaxes to the same place.
  const RequirementPlan one = MustPlan(
      catalog, {.must = {{"billing", 6}, {"zh", 2}},
                .steps = {{absl::Minutes(2), RelaxationKind::kLowerLevel, "billing", "", 3},
                          {absl::Minutes(4), RelaxationKind::kWiden, "zh", "en", 2}}});
  const RequirementPlan two = MustPlan(catalog, {.must = {{"zh", 2}, {"billing", 3}}});
  RequirementSpec three_spec;
  three_spec.must = {{Id(catalog, "en"), 2, {{Id(catalog, "zh"), 2}}}, {Id(catalog, "billing"), 3}};
  absl::StatusOr<RequirementPlan> three_or = RequirementPlan::Create(three_spec, catalog);
  ASSERT_TRUE(three_or.ok()) << three_or.status();
  const RequirementPlan& three = *three_or;

  EXPECT_FALSE(one.EffectiveAfter(absl::Minutes(1)) == two.EffectiveAfter(absl::Minutes(1)));
  EXPECT_EQ(one.EffectiveAfter(absl::Minutes(2)), two.EffectiveAfter(absl::Minutes(2)));
  EXPECT_FALSE(one.EffectiveAfter(absl::Minutes(4)) == two.EffectiveAfter(absl::Minutes(4)));
  EXPECT_EQ(one.EffectiveAfter(absl::Minutes(4)), three.EffectiveAfter(absl::ZeroDuration()));

  // The work queue's view: items keyed by effective requirement.
  const auto classes_at = [&](absl::Duration waited) {
    absl::flat_hash_set<Requirement> classes;
    for (const RequirementPlan* plan : {&one, &two, &three}) {
      classes.insert(plan->EffectiveAfter(waited));
    }
    return classes.size();
  };
  EXPECT_EQ(classes_at(absl::Minutes(1)), 3u);
  EXPECT_EQ(classes_at(absl::Minutes(3)), 2u);
  EXPECT_EQ(classes_at(absl::Minutes(5)), 2u);
}

TEST(RequirementPlanTest, WideningOntoAnotherMustHaveDeduplicates) {
  const SkillCatalog catalog = Tags();
  const RequirementPlan plan =
      MustPlan(catalog, {.must = {{"en", 1}, {"zh", 1}},
                         .steps = {{absl::Minutes(1), RelaxationKind::kWiden, "en", "zh", 1},
                                   {absl::Minutes(1), RelaxationKind::kWiden, "zh", "en", 1}}});
  EXPECT_EQ(plan.Effective(2).must().size(), 1u);
  EXPECT_EQ(catalog.Describe(plan.Effective(2)), "(zh>=1 | en>=1)");
}

TEST(RequirementPlanTest, DescribesSteps) {
  const SkillCatalog catalog = Tags();
  const RequirementPlan plan = MustPlan(catalog, Bullseye());
  std::vector<std::string> described;
  for (const RelaxationStep& step : plan.spec().steps) described.push_back(catalog.Describe(step));
  EXPECT_THAT(described,
              ElementsAre("after 2m: lower billing to 3",
                          "after 5m: widen billing to billing_l1>=1", "after 10m: drop trainee"));
  EXPECT_EQ(RelaxationKindName(RelaxationKind::kWiden), "widen");
  for (RelaxationKind kind :
       {RelaxationKind::kLowerLevel, RelaxationKind::kDrop, RelaxationKind::kWiden}) {
    EXPECT_EQ(*ParseRelaxationKind(RelaxationKindName(kind)), kind);
  }
  absl::StatusOr<RelaxationKind> bad = ParseRelaxationKind("raise");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"raise\""));
}

TEST(RequirementPlanTest, RejectsInvalidSteps) {
  const SkillCatalog catalog = Tags();
  const SkillId billing = Id(catalog, "billing"), zh = Id(catalog, "zh"), en = Id(catalog, "en"),
                trainee = Id(catalog, "trainee"), senior = Id(catalog, "senior");
  const RequirementSpec base = {.must = {{billing, 5, {}}, {zh, 3, {}}}, .excluded = {trainee}};
  const absl::Duration m = absl::Minutes(1);
  struct Case {
    std::vector<RelaxationStep> steps;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{RelaxationStep::LowerLevel(m, en, 1)},
       absl::StatusCode::kInvalidArgument,
       "steps[0]: skill \"en\" is not a must-have of the requirement when the step applies"},
      {{RelaxationStep::Widen(m, senior, en)},
       absl::StatusCode::kInvalidArgument,
       "steps[0]: skill \"senior\" is not a must-have"},
      {{RelaxationStep::Drop(m, en)},
       absl::StatusCode::kInvalidArgument,
       "steps[0]: skill \"en\" is neither a must-have nor excluded"},
      {{RelaxationStep::Drop(m, billing), RelaxationStep::LowerLevel(2 * m, billing, 1)},
       absl::StatusCode::kInvalidArgument,
       "steps[1]: skill \"billing\" is not a must-have"},
      {{RelaxationStep::Drop(m, trainee), RelaxationStep::Drop(2 * m, trainee)},
       absl::StatusCode::kInvalidArgument,
       "steps[1]: skill \"trainee\" is neither"},
      {{RelaxationStep::LowerLevel(2 * m, billing, 3), RelaxationStep::Drop(m, zh)},
       absl::StatusCode::kInvalidArgument,
       "steps[1]: after 1m comes before steps[0] (after 2m): steps must be in ascending order"},
      {{RelaxationStep::Drop(-m, zh)},
       absl::StatusCode::kInvalidArgument,
       "steps[0]: after -1m must be finite and >= 0"},
      {{RelaxationStep::Drop(absl::InfiniteDuration(), zh)},
       absl::StatusCode::kInvalidArgument,
       "steps[0]: after inf must be finite"},
      {{RelaxationStep::LowerLevel(m, billing, 0)},
       absl::StatusCode::kInvalidArgument,
       "steps[0]: skill \"billing\": level 0 outside 1..100"},
      {{RelaxationStep::LowerLevel(m, billing, 4), RelaxationStep::LowerLevel(2 * m, billing, 5)},
       absl::StatusCode::kInvalidArgument,
       "steps[1]: skill \"billing\": level 5 would raise the minimum 4"},
      {{RelaxationStep::Widen(m, billing, en, 2), RelaxationStep::Widen(m, billing, en, 1)},
       absl::StatusCode::kInvalidArgument,
       "steps[1]: the must-have skill \"billing\" already accepts skill \"en\""},
      {{RelaxationStep::Widen(m, billing, billing)},
       absl::StatusCode::kInvalidArgument,
       "already accepts"},
      {{RelaxationStep::Widen(m, billing, trainee)},
       absl::StatusCode::kInvalidArgument,
       "steps[0]: cannot widen to the excluded skill \"trainee\""},
      {{RelaxationStep::Widen(m, billing, en, 101)},
       absl::StatusCode::kInvalidArgument,
       "steps[0]: skill \"en\": level 101"},
      {{RelaxationStep::Widen(m, billing, 500)},
       absl::StatusCode::kNotFound,
       "steps[0]: skill id 500 is not in the catalog"},
      {{RelaxationStep::Drop(m, 500)}, absl::StatusCode::kNotFound, "steps[0]: skill id 500"},
      {{RelaxationStep{m, static_cast<RelaxationKind>(7), billing, 0, 1}},
       absl::StatusCode::kInvalidArgument,
       "steps[0]: unknown relaxation kind 7"},
  };
  for (const Case& c : cases) {
    RequirementSpec spec = base;
    spec.steps = c.steps;
    absl::StatusOr<RequirementPlan> plan = RequirementPlan::Create(spec, catalog);
    EXPECT_EQ(plan.status().code(), c.code) << c.message;
    EXPECT_THAT(plan.status().message(), HasSubstr(c.message));
  }
  // Lowering to the same level is a harmless no-op; a drop then a widen of another must-have is
  // fine; an exclusion lifted earlier may be widened to.
  RequirementSpec fine = base;
  fine.steps = {RelaxationStep::LowerLevel(m, billing, 5), RelaxationStep::Drop(m, zh),
                RelaxationStep::Drop(2 * m, trainee),
                RelaxationStep::Widen(3 * m, billing, trainee)};
  absl::StatusOr<RequirementPlan> plan = RequirementPlan::Create(fine, catalog);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->Effective(0), plan->Effective(1));
  EXPECT_TRUE(plan->Effective(4).Matches(MustSkills(catalog, {{"trainee", 1}})));
}

// --- Large catalogs ---

TEST(SkillsScaleTest, CatalogOfFourHundredSkills) {
  SkillCatalog catalog;
  for (int i = 0; i < 400; ++i) {
    absl::StatusOr<SkillId> id = catalog.Add(absl::StrCat("skill_", i));
    ASSERT_TRUE(id.ok());
    ASSERT_EQ(*id, static_cast<SkillId>(i));
  }
  EXPECT_EQ(catalog.size(), 400u);
  EXPECT_EQ(*catalog.Find("skill_399"), 399u);

  // Must-haves spread over seven words, an exclusion in yet another word.
  RequirementSpec spec;
  for (SkillId id : {3u, 64u, 130u, 200u, 255u, 256u, 399u}) spec.must.push_back({id, 4, {}});
  spec.excluded = {320};
  const Requirement requirement = *Requirement::Create(spec, catalog);
  SkillSet agent;
  for (SkillId id : {3u, 64u, 130u, 200u, 255u, 256u, 399u}) ASSERT_TRUE(agent.Set(id, 4).ok());
  EXPECT_TRUE(requirement.Matches(agent));
  EXPECT_EQ(requirement.Score(agent), 28.0);
  ASSERT_TRUE(agent.Set(320, 1).ok());
  EXPECT_FALSE(requirement.Matches(agent));
  EXPECT_TRUE(agent.Remove(320));
  ASSERT_TRUE(agent.Set(399, 3).ok());
  EXPECT_FALSE(requirement.Matches(agent));
  EXPECT_TRUE(agent.Remove(399));
  EXPECT_FALSE(requirement.Matches(agent));
  // All 400 skills at once.
  SkillSet everything;
  for (SkillId id = 0; id < 400; ++id) ASSERT_TRUE(everything.Set(id, 10).ok());
  EXPECT_EQ(everything.size(), 400u);
  EXPECT_FALSE(requirement.Matches(everything));  // has the excluded one
  EXPECT_TRUE(everything.Remove(320));
  EXPECT_TRUE(requirement.Matches(everything));
  EXPECT_EQ(everything.Level(399), 10);
}

// --- Randomised comparison with a naive, name-based reference ---

// An agent as a CRM would store it, and a requirement over names.
using NaiveAgent = std::map<std::string, int>;
struct NaiveRequirement {
  std::vector<std::map<std::string, int>> must;  // each: accepted name -> minimum level
  std::map<std::string, double> preferred;
  std::set<std::string> excluded;
};

int NaiveLevel(const NaiveAgent& agent, const std::string& name) {
  auto it = agent.find(name);
  return it == agent.end() ? 0 : it->second;
}

bool NaiveMatches(const NaiveRequirement& r, const NaiveAgent& agent) {
  for (const auto& accepted : r.must) {
    bool satisfied = false;
    for (const auto& [name, level] : accepted) satisfied |= NaiveLevel(agent, name) >= level;
    if (!satisfied) return false;
  }
  for (const std::string& name : r.excluded) {
    if (agent.contains(name)) return false;
  }
  return true;
}

double NaiveScore(const NaiveRequirement& r, const NaiveAgent& agent) {
  double score = 0;
  for (const auto& accepted : r.must) {
    int best = 0;
    for (const auto& [name, level] : accepted) {
      if (NaiveLevel(agent, name) >= level) best = std::max(best, NaiveLevel(agent, name));
    }
    score += best;
  }
  for (const auto& [name, weight] : r.preferred) score += weight * NaiveLevel(agent, name);
  return score;
}

// Applies a valid step to the reference.
void NaiveApply(const NamedRelaxationStep& step, const std::map<std::string, size_t>& index,
                NaiveRequirement& r, std::vector<bool>& dropped) {
  switch (step.kind) {
    case RelaxationKind::kLowerLevel:
      r.must[index.at(step.skill)][step.skill] = step.level;
      break;
    case RelaxationKind::kWiden:
      r.must[index.at(step.skill)][step.alternative] = step.level;
      break;
    case RelaxationKind::kDrop:
      if (index.contains(step.skill)) {
        r.must[index.at(step.skill)].clear();  // an empty list: removed below
        dropped[index.at(step.skill)] = true;
      } else {
        r.excluded.erase(step.skill);
      }
      break;
  }
}

NaiveRequirement WithoutDropped(NaiveRequirement r, const std::vector<bool>& dropped) {
  NaiveRequirement out = r;
  out.must.clear();
  for (size_t i = 0; i < r.must.size(); ++i) {
    if (!dropped[i]) out.must.push_back(r.must[i]);
  }
  return out;
}

TEST(SkillsRandomTest, AgreesWithNaiveReference) {
  constexpr int kSkills = 400;
  constexpr int kRequirements = 600;
  constexpr int kAgentsPerRequirement = 12;
  SkillCatalog catalog;
  std::vector<std::string> names;
  for (int i = 0; i < kSkills; ++i) {
    names.push_back(absl::StrCat("s", i));
    ASSERT_TRUE(catalog.Add(names.back()).ok());
  }
  std::mt19937_64 rng(20260311);
  const auto uniform = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  // Skills come from a small hot set half of the time, so requirements and agents overlap.
  const auto random_skill = [&]() -> const std::string& {
    return names[uniform(0, 1) == 0 ? uniform(0, 11) : uniform(0, kSkills - 1)];
  };
  const auto random_level = [&] { return uniform(0, 2) == 0 ? 1 : uniform(1, 10); };

  int matched = 0, checks = 0;
  for (int round = 0; round < kRequirements; ++round) {
    // A random named requirement with alternatives (as widen steps at zero) and later steps.
    NamedRequirement named;
    std::set<std::string> used;
    const int must_count = uniform(0, 5);
    while (static_cast<int>(named.must.size()) < must_count) {
      const std::string& name = random_skill();
      if (used.insert(name).second) named.must[name] = random_level();
    }
    for (int i = uniform(0, 3); i > 0; --i) {
      const std::string& name = random_skill();
      if (used.insert(name).second) named.preferred[name] = uniform(0, 40) / 4.0;
    }
    for (int i = uniform(0, 2); i > 0; --i) {
      const std::string& name = random_skill();
      if (used.insert(name).second) named.excluded.push_back(name);
    }
    // Steps, kept valid by tracking what each must-have accepts at that point.
    std::map<std::string, std::map<std::string, int>> accepts;
    for (const auto& [name, level] : named.must) accepts[name] = {{name, level}};
    std::set<std::string> excluded(named.excluded.begin(), named.excluded.end());
    absl::Duration after = absl::ZeroDuration();
    for (int i = uniform(0, 4); i > 0; --i) {
      after += absl::Seconds(uniform(0, 2) * 30);
      const int kind = uniform(0, 2);
      if (kind == 2 && !excluded.empty() && uniform(0, 1) == 0) {
        const std::string name = *excluded.begin();
        named.steps.push_back({after, RelaxationKind::kDrop, name, "", 1});
        excluded.erase(name);
        continue;
      }
      if (accepts.empty()) continue;
      auto target = accepts.begin();
      std::advance(target, uniform(0, static_cast<int>(accepts.size()) - 1));
      const std::string skill = target->first;
      if (kind == 0) {
        const int level = uniform(1, target->second.at(skill));
        named.steps.push_back({after, RelaxationKind::kLowerLevel, skill, "", level});
        target->second[skill] = level;
      } else if (kind == 1) {
        const std::string& alternative = random_skill();
        if (target->second.contains(alternative) || excluded.contains(alternative)) continue;
        const int level = random_level();
        named.steps.push_back({after, RelaxationKind::kWiden, skill, alternative, level});
        target->second[alternative] = level;
      } else {
        named.steps.push_back({after, RelaxationKind::kDrop, skill, "", 1});
        accepts.erase(target);
      }
    }
    absl::StatusOr<RequirementSpec> spec = RequirementSpecFromNames(catalog, named);
    ASSERT_TRUE(spec.ok()) << spec.status();
    absl::StatusOr<RequirementPlan> plan = RequirementPlan::Create(*spec, catalog);
    ASSERT_TRUE(plan.ok()) << plan.status();

    // The reference after each step.
    NaiveRequirement naive;
    std::map<std::string, size_t> index;
    for (const auto& [name, level] : named.must) {
      index[name] = naive.must.size();
      naive.must.push_back({{name, level}});
    }
    naive.preferred = named.preferred;
    naive.excluded.insert(named.excluded.begin(), named.excluded.end());
    std::vector<bool> dropped(naive.must.size(), false);
    std::vector<NaiveRequirement> naive_steps = {naive};
    for (const NamedRelaxationStep& step : named.steps) {
      NaiveApply(step, index, naive, dropped);
      naive_steps.push_back(WithoutDropped(naive, dropped));
    }

    for (int a = 0; a < kAgentsPerRequirement; ++a) {
      NaiveAgent agent;
      // Half the agents start from what the requirement asks, so many match.
      if (uniform(0, 1) == 0) {
        for (const auto& [name, level] : named.must)
          agent[name] = std::min(10, level + uniform(-1, 2));
        for (auto& [name, level] : agent) level = std::max(1, level);
      }
      for (int i = uniform(0, 12); i > 0; --i) agent[random_skill()] = random_level();
      if (uniform(0, 3) == 0 && !named.excluded.empty()) agent[named.excluded.front()] = 1;
      absl::StatusOr<SkillSet> skills = SkillSetFromNames(catalog, agent);
      ASSERT_TRUE(skills.ok()) << skills.status();
      ASSERT_EQ(skills->size(), agent.size());
      for (int k = 0; k <= plan->step_count(); ++k) {
        const Requirement& effective = plan->Effective(k);
        const bool expected = NaiveMatches(naive_steps[k], agent);
        ASSERT_EQ(effective.Matches(*skills), expected)
            << "round " << round << " step " << k << ": " << catalog.Describe(effective) << " vs "
            << catalog.Describe(*skills);
        ASSERT_EQ(effective.Score(*skills), NaiveScore(naive_steps[k], agent))
            << "round " << round << " step " << k << ": " << catalog.Describe(effective) << " vs "
            << catalog.Describe(*skills);
        matched += expected;
        ++checks;
      }
    }

    // The canonical form ignores listing order: shuffle every list of the spec.
    RequirementSpec shuffled = *spec;
    shuffled.steps.clear();
    std::shuffle(shuffled.must.begin(), shuffled.must.end(), rng);
    std::shuffle(shuffled.preferred.begin(), shuffled.preferred.end(), rng);
    std::shuffle(shuffled.excluded.begin(), shuffled.excluded.end(), rng);
    absl::StatusOr<Requirement> reordered = Requirement::Create(shuffled, catalog);
    ASSERT_TRUE(reordered.ok()) << reordered.status();
    ASSERT_EQ(*reordered, plan->Effective(0));
    ASSERT_EQ(absl::Hash<Requirement>{}(*reordered), absl::Hash<Requirement>{}(plan->Effective(0)));
  }
  // The generator exercises both outcomes.
  EXPECT_GT(matched, checks / 10);
  EXPECT_LT(matched, checks * 9 / 10);
}

}  // namespace
}  // namespace omniroute
