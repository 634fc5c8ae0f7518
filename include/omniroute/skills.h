// Skill tags, agents' skill sets, and the requirements work items place on them.
//
// A `SkillCatalog` interns tag names (product lines, technical domains, languages, channels,
// regions, seniority, "vip_desk", ...) to dense ids. A `SkillSet` is what one agent has: skills at
// proficiency levels, stored as a bitset plus the levels of the set bits, so "has every required
// skill and none of the excluded ones" is one AND and one compare per 64-bit word the requirement
// touches, for any number of skills. A `Requirement` is what one work item needs: must-have skills
// at minimum levels (a must-have may accept alternatives), preferred skills with weights that only
// rank agents (`Score`), and excluded tags. A `RequirementPlan` is a requirement plus relaxation
// steps ("bullseye" routing): after the item has waited a given time a step lowers a level, drops
// a must-have or an exclusion, or widens a must-have to another tag, so the pool of agents grows
// the longer the item waits. The plan precomputes the requirement in effect after each step; the
// work queue arms a timer for `NextStepAfter` and reports each step as a `requirement_relaxed`
// event.
//
//   omniroute::SkillCatalog catalog;
//   for (std::string_view tag : {"billing", "billing_l1", "zh", "en", "trainee", "vip_desk"}) {
//     if (absl::Status s = catalog.Add(tag).status(); !s.ok()) return s;
//   }
//   absl::StatusOr<omniroute::SkillSet> agent =
//       omniroute::SkillSetFromNames(catalog, {{"billing", 4}, {"zh", 7}});
//
//   omniroute::NamedRequirement named;
//   named.must = {{"billing", 6}, {"zh", 3}};
//   named.preferred = {{"vip_desk", 2.0}};
//   named.excluded = {"trainee"};
//   named.steps = {
//       {absl::Minutes(2), omniroute::RelaxationKind::kLowerLevel, "billing", "", 3},
//       {absl::Minutes(5), omniroute::RelaxationKind::kWiden, "billing", "billing_l1", 1}};
//   absl::StatusOr<omniroute::RequirementSpec> spec =
//       omniroute::RequirementSpecFromNames(catalog, named);
//   absl::StatusOr<omniroute::RequirementPlan> plan =
//       omniroute::RequirementPlan::Create(*spec, catalog);
//   plan->EffectiveAfter(absl::Seconds(30)).Matches(*agent);   // false: billing 4 < 6
//   plan->EffectiveAfter(absl::Minutes(2)).Matches(*agent);    // true: billing 4 >= 3
//   plan->NextStepAfter(absl::Minutes(2));                     // 5 min: arm the next timer
//
// Requirement classes: the work queue groups items whose effective requirements are equal.
// `Requirement` is canonical, so equality and `AbslHashValue` do not depend on the order in which
// skills were listed or steps widened a must-have.
//
// Thread safety: every type here is thread-compatible (const methods may run concurrently;
// mutations need external synchronisation).
#ifndef OMNIROUTE_SKILLS_H_
#define OMNIROUTE_SKILLS_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace omniroute {

class SkillSet;
class Requirement;
struct RelaxationStep;

// A skill's dense id in its catalog: 0, 1, 2, ... in the order the names were added. Ids from
// different catalogs do not mix.
using SkillId = uint32_t;

// At most this many skills in a catalog; ids are below it.
inline constexpr SkillId kMaxSkills = 1 << 16;
// Skill names are 1 to this many characters from [A-Za-z0-9_.:-], compared exactly (case matters).
inline constexpr size_t kMaxSkillNameLength = 64;
// Proficiency levels. The domain's 1-10 scale fits; hosts that rate in percent may use up to 100.
// Level 0 means "does not have the skill" and is never stored.
inline constexpr int kMinSkillLevel = 1;
inline constexpr int kMaxSkillLevel = 100;

// A skill at a level: an agent's proficiency, or the minimum level a requirement asks for.
struct SkillLevel {
  SkillId skill = 0;
  int level = kMinSkillLevel;

  friend constexpr auto operator<=>(const SkillLevel&, const SkillLevel&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const SkillLevel& s) {
    return H::combine(std::move(h), s.skill, s.level);
  }
  // "#12:5" (ids only; `SkillCatalog::Describe` prints names).
  friend std::ostream& operator<<(std::ostream& os, const SkillLevel& s) {
    return os << '#' << s.skill << ':' << s.level;
  }
};

// Interns skill names to dense ids. Adding never renumbers, so ids stay valid as the catalog grows.
class SkillCatalog {
 public:
  SkillCatalog() = default;

  // The id of `name`, added when new (an existing name returns its id and changes nothing).
  // InvalidArgument for an empty name, one longer than kMaxSkillNameLength, or one with a character
  // outside [A-Za-z0-9_.:-]; ResourceExhausted when the catalog already holds kMaxSkills names.
  // O(|name|) amortised.
  absl::StatusOr<SkillId> Add(std::string_view name);

  // Forgets the names added after the catalog held `size` (none when it holds no more): what a
  // refused command interned is taken back. Ids below `size` stay valid. O(names forgotten).
  void TruncateTo(size_t size);

  // The id of `name`; NotFound `unknown skill "name"` otherwise. O(|name|).
  absl::StatusOr<SkillId> Find(std::string_view name) const;
  bool Contains(std::string_view name) const;
  // Whether `id` was handed out by this catalog.
  bool Contains(SkillId id) const { return id < names_.size(); }

  // The name of `id`; empty for an id this catalog did not hand out. The view stays valid for the
  // life of the catalog (adding names does not move existing ones). O(1).
  std::string_view Name(SkillId id) const;

  // Number of skills; the ids are 0 .. size() - 1.
  size_t size() const { return names_.size(); }
  bool empty() const { return names_.empty(); }

  // Human-readable forms with names, for logs, `Explain` and test failures. Unknown ids print as
  // "#12". A skill set: "{billing:4, zh:7}". A requirement: "billing>=6 & (en>=2 | zh>=3) &
  // !trainee; prefer vip_desk*2" ("any" when it has no must-have and no exclusion). A step:
  // "after 2m: lower billing to 3", "after 5m: widen billing to billing_l1>=1",
  // "after 10m: drop trainee".
  std::string Describe(const SkillSet& skills) const;
  std::string Describe(const Requirement& requirement) const;
  std::string Describe(const RelaxationStep& step) const;

  friend bool operator==(const SkillCatalog& a, const SkillCatalog& b) {
    return a.names_ == b.names_;
  }

 private:
  // A deque keeps each name at its address, so `Name` views survive later `Add`s.
  std::deque<std::string> names_;
  absl::flat_hash_map<std::string, SkillId> ids_;
};

// The skills one agent has, each at a level in [kMinSkillLevel, kMaxSkillLevel]. Stored as a
// bitset (one bit per skill id, trailing zero words trimmed) plus the levels of the set bits in id
// order; sets of up to 256 skill ids and 16 skills need no heap memory. Equal sets compare equal
// and hash equally however they were built, so agents with one profile can share a bucket.
class SkillSet {
 public:
  // Iterates the skills in ascending id order as SkillLevel values.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = SkillLevel;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = SkillLevel;

    const_iterator() = default;
    SkillLevel operator*() const {
      return {static_cast<SkillId>(word_ * 64 + std::countr_zero(rest_)), (*levels_)[rank_]};
    }
    const_iterator& operator++() {
      rest_ &= rest_ - 1;
      ++rank_;
      while (rest_ == 0 && ++word_ < words_->size()) rest_ = (*words_)[word_];
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.word_ == b.word_ && a.rest_ == b.rest_;
    }

   private:
    friend class SkillSet;
    const absl::InlinedVector<uint64_t, 4>* words_ = nullptr;
    const absl::InlinedVector<uint8_t, 16>* levels_ = nullptr;
    size_t word_ = 0;
    uint64_t rest_ = 0;  // bits of word_ not yet visited; the lowest is the current skill
    size_t rank_ = 0;    // index of the current skill's level
  };

  // The empty set.
  SkillSet() = default;

  // Gives the agent `skill` at `level` (replacing a level it had). InvalidArgument for a level
  // outside [kMinSkillLevel, kMaxSkillLevel] or an id >= kMaxSkills. The id is not checked against
  // a catalog (`SkillSetFromNames` does). O(id / 64 + size()).
  absl::Status Set(SkillId skill, int level);
  // Takes `skill` away; false when the agent did not have it. O(id / 64 + size()).
  bool Remove(SkillId skill);

  // O(1).
  bool Has(SkillId skill) const {
    const size_t word = skill / 64;
    return word < words_.size() && ((words_[word] >> (skill % 64)) & 1) != 0;
  }
  // The agent's level of `skill`; 0 when it does not have it. O(id / 64).
  int Level(SkillId skill) const {
    // Branch-free past the word bound: presence is about a coin flip when scoring candidates.
    const size_t word = skill / 64;
    if (word >= words_.size()) return 0;
    const uint64_t* words = words_.data();
    const uint64_t present = (words[word] >> (skill % 64)) & 1;
    size_t rank = PopCount(words[word] & ((uint64_t{1} << (skill % 64)) - 1));
    for (size_t w = 0; w < word; ++w) rank += PopCount(words[w]);
    // A non-empty bitset has a level at index 0, so the load is in bounds either way.
    return levels_.data()[rank & (0 - present)] & static_cast<int>(0 - present);
  }

  // Number of skills the agent has.
  size_t size() const { return levels_.size(); }
  bool empty() const { return levels_.empty(); }

  const_iterator begin() const;
  const_iterator end() const;

  friend bool operator==(const SkillSet&, const SkillSet&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const SkillSet& s) {
    return H::combine(std::move(h), s.words_, s.levels_);
  }
  // "{#3:5, #7:2}" (ids only; `SkillCatalog::Describe` prints names).
  friend std::ostream& operator<<(std::ostream& os, const SkillSet& s);

 private:
  friend class Requirement;

  // The default x86-64 target has no popcnt instruction, and std::popcount then calls into
  // libgcc; this branch-free form stays inline on the matching path.
  static int PopCount(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
  }

  absl::InlinedVector<uint64_t, 4> words_;   // bit i of word w: skill 64 * w + i; no trailing 0
  absl::InlinedVector<uint8_t, 16> levels_;  // levels of the set bits, in id order
};

// A must-have skill of a `RequirementSpec`: satisfied by an agent that has `skill` at `min_level`
// or more, or any of `alternatives` at its own level. Relaxation steps name a must-have by `skill`.
struct MustHave {
  SkillId skill = 0;
  int min_level = kMinSkillLevel;
  std::vector<SkillLevel> alternatives{};

  friend bool operator==(const MustHave&, const MustHave&) = default;
};

// A preferred skill: adds `weight` x the agent's level to `Score`; it does not decide `Matches`.
struct Preference {
  SkillId skill = 0;
  double weight = 1.0;  // finite and >= 0

  friend bool operator==(const Preference&, const Preference&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Preference& p) {
    return H::combine(std::move(h), p.skill, p.weight);
  }
};

// What a relaxation step changes.
// - kLowerLevel: sets the minimum level of the must-have `skill` to `level` (not above the current
//   one). Its alternatives keep their own levels.
// - kDrop: removes the must-have `skill` with its alternatives, or lifts the exclusion of `skill`.
// - kWiden: lets `alternative` at `level` or more satisfy the must-have `skill` too.
enum class RelaxationKind : uint8_t { kLowerLevel, kDrop, kWiden };

// "lower_level", "drop", "widen".
std::string_view RelaxationKindName(RelaxationKind kind);
// The inverse of RelaxationKindName; InvalidArgument naming the text otherwise.
absl::StatusOr<RelaxationKind> ParseRelaxationKind(std::string_view name);
inline std::ostream& operator<<(std::ostream& os, RelaxationKind k) {
  return os << RelaxationKindName(k);
}

// One step of a plan: it applies once the item has waited `after` (inclusive) since it started
// waiting. `level` is unused by kDrop and `alternative` only used by kWiden.
struct RelaxationStep {
  absl::Duration after = absl::ZeroDuration();
  RelaxationKind kind = RelaxationKind::kDrop;
  SkillId skill = 0;
  SkillId alternative = 0;
  int level = kMinSkillLevel;

  static RelaxationStep LowerLevel(absl::Duration after, SkillId skill, int min_level) {
    return {after, RelaxationKind::kLowerLevel, skill, 0, min_level};
  }
  static RelaxationStep Drop(absl::Duration after, SkillId skill) {
    return {after, RelaxationKind::kDrop, skill, 0, kMinSkillLevel};
  }
  static RelaxationStep Widen(absl::Duration after, SkillId skill, SkillId alternative,
                              int min_level = kMinSkillLevel) {
    return {after, RelaxationKind::kWiden, skill, alternative, min_level};
  }

  friend bool operator==(const RelaxationStep&, const RelaxationStep&) = default;
};

// A requirement as written: the input of `Requirement::Create` and `RequirementPlan::Create`, which
// check it against a catalog. Order within the lists does not matter.
//
// Rules (each violation is InvalidArgument naming the skill, or NotFound for an id the catalog did
// not hand out): levels in [kMinSkillLevel, kMaxSkillLevel]; weights finite and >= 0; a skill is at
// most once a must-have's `skill`, at most once within one must-have (with its alternatives), at
// most once preferred and at most once excluded; an excluded skill is neither required (as a
// must-have or an alternative) nor preferred. Steps: `after` finite, >= 0 and ascending (equal
// values apply in list order); each step names a must-have (or, for kDrop, an exclusion) that the
// requirement has when the step applies, so a step may not refer to a skill an earlier step
// dropped; kLowerLevel does not raise the level; kWiden adds neither a skill the must-have already
// accepts nor an excluded one.
//
// (The `{}` member initialisers here and below let callers use designated initialisers, e.g.
// `{.must = ..., .excluded = ...}`, under -Wextra.)
struct RequirementSpec {
  std::vector<MustHave> must{};
  std::vector<Preference> preferred{};
  std::vector<SkillId> excluded{};
  std::vector<RelaxationStep> steps{};

  friend bool operator==(const RequirementSpec&, const RequirementSpec&) = default;
};

// What an agent must (and should) have to take a work item: a validated, canonical value.
//
// Matching: an agent matches when it satisfies every must-have (some accepted skill at its minimum
// level or more) and has none of the excluded skills, at any level. A requirement without
// must-haves and exclusions matches every agent, including one without skills.
//
// Scoring, for the most-skilled strategy (higher is better):
//   Score = sum over must-haves of the agent's highest level among the skills that satisfy it
//           (0 when none does)
//         + sum over preferred skills of weight x the agent's level (0 when absent).
// So a level-8 agent outranks a level-5 one on the same must-haves, and preferences break the
// rest. `Score` does not check `Matches`; the sum is taken in a fixed order, so equal inputs give
// bit-identical results.
//
// Canonical form: must-haves are kept as lists of accepted skills (the must-have's skill and its
// alternatives) sorted by id, the lists sorted and deduplicated; preferences and exclusions sorted
// by id; zero-weight preferences dropped. Equality and hashing use that form only.
class Requirement {
 public:
  // Matches every agent; Score is 0.
  Requirement() = default;

  // The requirement `spec` describes, checked as `RequirementSpec` says. InvalidArgument when
  // `spec` has relaxation steps (those need a `RequirementPlan`). O(n log n) in the spec's size.
  static absl::StatusOr<Requirement> Create(const RequirementSpec& spec,
                                            const SkillCatalog& catalog);

  // O(words the requirement touches + must-haves with a level above 1 or alternatives), each
  // level lookup O(id / 64); no allocation.
  bool Matches(const SkillSet& agent) const {
    // Inline, as it runs once per candidate agent: the bitset test decides most agents.
    const uint64_t* words = agent.words_.data();
    const size_t word_count = agent.words_.size();
    // No early exit: a branch per word would be mispredicted about half the time.
    uint64_t wrong = 0;
    for (const WordCheck& check : word_checks_) {
      const uint64_t word = check.word < word_count ? words[check.word] : 0;
      wrong |= (word & check.care) ^ check.must;
    }
    if (wrong != 0) return false;
    return (level_checks_.empty() && alternative_checks_.empty()) || MatchesLevels(agent);
  }
  // See the class comment. O((must-have skills + preferences) x id / 64).
  double Score(const SkillSet& agent) const;
  // Why an agent fails the requirement, for explanations: the first excluded tag it has, else the
  // first must-have (in canonical order) it lacks — `kLevelTooLow` when it has one of the accepted
  // skills below its level, `kMissingSkill` when it has none; `kMatches` when Matches(agent).
  struct Mismatch {
    enum class Kind : uint8_t { kMatches, kExcludedTag, kMissingSkill, kLevelTooLow };
    Kind kind = Kind::kMatches;
    SkillId skill = 0;  // the excluded tag, or the must-have's first accepted skill
    int needed = 0;     // the level needed (must-haves)
    int has = 0;        // the agent's level of `skill`
    friend bool operator==(const Mismatch&, const Mismatch&) = default;
  };
  Mismatch Explain(const SkillSet& agent) const;

  // Whether it matches every agent (no must-have, no exclusion; preferences may remain).
  bool matches_all() const { return must_.empty() && excluded_.empty(); }

  // The canonical form (see the class comment).
  const std::vector<std::vector<SkillLevel>>& must() const { return must_; }
  const std::vector<Preference>& preferred() const { return preferred_; }
  const std::vector<SkillId>& excluded() const { return excluded_; }

  friend bool operator==(const Requirement& a, const Requirement& b) {
    return a.fingerprint_ == b.fingerprint_ && a.must_ == b.must_ && a.preferred_ == b.preferred_ &&
           a.excluded_ == b.excluded_;
  }
  // O(1): the canonical form's hash is taken once, when the requirement is built.
  template <typename H>
  friend H AbslHashValue(H h, const Requirement& r) {
    return H::combine(std::move(h), r.fingerprint_);
  }
  // "#3>=5 & (#4>=1 | #9>=2) & !#7; prefer #8*2" (ids only; `SkillCatalog::Describe` prints
  // names).
  friend std::ostream& operator<<(std::ostream& os, const Requirement& r);

 private:
  friend class RequirementPlan;

  // One word of the bitset test: the agent's word AND `care` must equal `must` (all must bits
  // set, no excluded bit set).
  struct WordCheck {
    uint32_t word;
    uint64_t care;
    uint64_t must;
  };

  // The level and alternative part of Matches, for an agent that passed the bitset test.
  bool MatchesLevels(const SkillSet& agent) const;

  // Builds the canonical form and the matching tables from a spec already validated.
  static Requirement FromValidSpec(const RequirementSpec& spec);

  std::vector<std::vector<SkillLevel>> must_;
  std::vector<Preference> preferred_;
  std::vector<SkillId> excluded_;

  // A hash of the canonical form (0 for the empty requirement), so hashing and unequal
  // comparisons of requirements cost O(1).
  size_t fingerprint_ = 0;
  std::vector<WordCheck> word_checks_;        // ascending by word
  std::vector<SkillLevel> level_checks_;      // single-skill must-haves with a level above 1
  std::vector<uint32_t> alternative_checks_;  // indexes into must_ of lists with 2+ skills
};

// A requirement with its relaxation steps: the requirement in effect after each step, computed
// once. The work queue keeps the item's waiting start, arms a timer at start + `NextStepAfter`, and
// on each firing moves the item to the class of `EffectiveAfter(waited)`.
class RequirementPlan {
 public:
  // No must-haves, no steps.
  RequirementPlan() : effective_(1) {}

  // Checks `spec` as `RequirementSpec` says. O(steps x spec size x log).
  static absl::StatusOr<RequirementPlan> Create(const RequirementSpec& spec,
                                                const SkillCatalog& catalog);

  const RequirementSpec& spec() const { return spec_; }
  int step_count() const { return static_cast<int>(spec_.steps.size()); }

  // The requirement after the first `steps` steps (clamped to [0, step_count()]); Effective(0) is
  // the requirement as written. O(1).
  const Requirement& Effective(int steps) const;
  // The number of steps due once the item has waited `waited`: those with after <= waited (none
  // for a negative wait). O(log steps).
  int StepsDueAfter(absl::Duration waited) const;
  // Effective(StepsDueAfter(waited)). O(log steps).
  const Requirement& EffectiveAfter(absl::Duration waited) const;
  // The smallest step `after` greater than `waited`: when the requirement changes next.
  // InfiniteDuration when no step is left. O(log steps).
  absl::Duration NextStepAfter(absl::Duration waited) const;

  friend bool operator==(const RequirementPlan& a, const RequirementPlan& b) {
    return a.spec_ == b.spec_;
  }

 private:
  RequirementSpec spec_;
  std::vector<Requirement> effective_;  // step_count() + 1 entries
};

// A relaxation step by skill names, as configuration writes it.
struct NamedRelaxationStep {
  absl::Duration after = absl::ZeroDuration();
  RelaxationKind kind = RelaxationKind::kDrop;
  std::string skill{};
  std::string alternative{};  // kWiden only
  int level = kMinSkillLevel;

  friend bool operator==(const NamedRelaxationStep&, const NamedRelaxationStep&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const NamedRelaxationStep& s) {
    return H::combine(std::move(h), s.after, s.kind, s.skill, s.alternative, s.level);
  }
};

// A requirement by skill names, as configuration writes it: {"billing": 3} style maps.
struct NamedRequirement {
  std::map<std::string, int> must{};  // name -> minimum level
  std::map<std::string, double> preferred{};
  std::vector<std::string> excluded{};
  std::vector<NamedRelaxationStep> steps{};

  friend bool operator==(const NamedRequirement&, const NamedRequirement&) = default;
  // Hashable with absl::Hash: equal requirements share one plan.
  template <typename H>
  friend H AbslHashValue(H h, const NamedRequirement& r) {
    return H::combine(std::move(h), r.must, r.preferred, r.excluded, r.steps);
  }
};

// An agent's skill set from {"name": level}. NotFound `unknown skill "name"` for a name not in
// `catalog` (add it first to intern agent-only tags); InvalidArgument naming the skill for a level
// out of range. O(n log n).
absl::StatusOr<SkillSet> SkillSetFromNames(const SkillCatalog& catalog,
                                           const std::map<std::string, int>& levels);

// The spec `named` describes, ids looked up in `catalog`. NotFound `unknown skill "name"` (for a
// step, prefixed "steps[i]: "). Only names are checked here; `Requirement::Create` or
// `RequirementPlan::Create` checks the rest. O(n log n).
absl::StatusOr<RequirementSpec> RequirementSpecFromNames(const SkillCatalog& catalog,
                                                         const NamedRequirement& named);

}  // namespace omniroute

#endif  // OMNIROUTE_SKILLS_H_
