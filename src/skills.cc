#include "omniroute/skills.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "fmt/format.h"
#include "internal/enum_names.h"
#include "internal/status_macros.h"

namespace omniroute {
namespace {

constexpr std::array<std::string_view, 3> kRelaxationKindNames = {"lower_level", "drop", "widen"};

bool ValidNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

bool LevelInRange(int level) { return level >= kMinSkillLevel && level <= kMaxSkillLevel; }

// `skill "billing"`, or `skill id 12` for an id the catalog did not hand out.
std::string SkillRef(const SkillCatalog& catalog, SkillId id) {
  if (!catalog.Contains(id)) return fmt::format("skill id {}", id);
  return fmt::format("skill \"{}\"", catalog.Name(id));
}

absl::Status CheckId(const SkillCatalog& catalog, SkillId id) {
  if (catalog.Contains(id)) return absl::OkStatus();
  return absl::NotFoundError(
      fmt::format("skill id {} is not in the catalog ({} skills)", id, catalog.size()));
}

absl::Status CheckLevel(const SkillCatalog& catalog, SkillId id, int level) {
  if (LevelInRange(level)) return absl::OkStatus();
  return absl::InvalidArgumentError(fmt::format(
      "{}: level {} outside {}..{}", SkillRef(catalog, id), level, kMinSkillLevel, kMaxSkillLevel));
}

// The first id that occurs twice in `ids` (sorted in place); none: false.
bool FindDuplicate(std::vector<SkillId>& ids, SkillId* duplicate) {
  std::sort(ids.begin(), ids.end());
  auto it = std::adjacent_find(ids.begin(), ids.end());
  if (it == ids.end()) return false;
  *duplicate = *it;
  return true;
}

// The first id of `a` that is also in `b`, both sorted; none: false.
bool FindCommon(const std::vector<SkillId>& a, const std::vector<SkillId>& b, SkillId* common) {
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      *common = *i;
      return true;
    }
  }
  return false;
}

// Checks a spec's requirement part (not its steps) against the rules of RequirementSpec.
absl::Status ValidateRequirement(const RequirementSpec& spec, const SkillCatalog& catalog) {
  std::vector<SkillId> primaries, required, preferred, excluded;
  for (const MustHave& must : spec.must) {
    OMNIROUTE_RETURN_IF_ERROR(CheckId(catalog, must.skill));
    OMNIROUTE_RETURN_IF_ERROR(CheckLevel(catalog, must.skill, must.min_level));
    std::vector<SkillId> accepted = {must.skill};
    for (const SkillLevel& alternative : must.alternatives) {
      OMNIROUTE_RETURN_IF_ERROR(CheckId(catalog, alternative.skill));
      OMNIROUTE_RETURN_IF_ERROR(CheckLevel(catalog, alternative.skill, alternative.level));
      accepted.push_back(alternative.skill);
    }
    if (SkillId twice; FindDuplicate(accepted, &twice)) {
      return absl::InvalidArgumentError(fmt::format("{} is listed twice in the must-have {}",
                                                    SkillRef(catalog, twice),
                                                    SkillRef(catalog, must.skill)));
    }
    primaries.push_back(must.skill);
    required.insert(required.end(), accepted.begin(), accepted.end());
  }
  if (SkillId twice; FindDuplicate(primaries, &twice)) {
    return absl::InvalidArgumentError(
        fmt::format("{} is a must-have twice", SkillRef(catalog, twice)));
  }
  for (const Preference& preference : spec.preferred) {
    OMNIROUTE_RETURN_IF_ERROR(CheckId(catalog, preference.skill));
    if (!std::isfinite(preference.weight) || preference.weight < 0) {
      return absl::InvalidArgumentError(
          fmt::format("preferred {}: weight {} must be finite and >= 0",
                      SkillRef(catalog, preference.skill), preference.weight));
    }
    preferred.push_back(preference.skill);
  }
  if (SkillId twice; FindDuplicate(preferred, &twice)) {
    return absl::InvalidArgumentError(
        fmt::format("{} is preferred twice", SkillRef(catalog, twice)));
  }
  for (SkillId skill : spec.excluded) {
    OMNIROUTE_RETURN_IF_ERROR(CheckId(catalog, skill));
    excluded.push_back(skill);
  }
  if (SkillId twice; FindDuplicate(excluded, &twice)) {
    return absl::InvalidArgumentError(
        fmt::format("{} is excluded twice", SkillRef(catalog, twice)));
  }
  std::sort(required.begin(), required.end());
  if (SkillId both; FindCommon(required, excluded, &both)) {
    return absl::InvalidArgumentError(
        fmt::format("{} is both required and excluded", SkillRef(catalog, both)));
  }
  if (SkillId both; FindCommon(preferred, excluded, &both)) {
    return absl::InvalidArgumentError(
        fmt::format("{} is both preferred and excluded", SkillRef(catalog, both)));
  }
  return absl::OkStatus();
}

// Applies `step` to `work` (a valid spec without steps), keeping it valid; on error `work` may
// be left changed (the caller discards it).
absl::Status ApplyStep(const RelaxationStep& step, const SkillCatalog& catalog,
                       RequirementSpec& work) {
  auto must = std::find_if(work.must.begin(), work.must.end(),
                           [&](const MustHave& m) { return m.skill == step.skill; });
  const auto not_a_must_have = [&] {
    return absl::InvalidArgumentError(
        fmt::format("{} is not a must-have of the requirement when the step applies",
                    SkillRef(catalog, step.skill)));
  };
  switch (step.kind) {
    case RelaxationKind::kLowerLevel:
      if (must == work.must.end()) return not_a_must_have();
      OMNIROUTE_RETURN_IF_ERROR(CheckLevel(catalog, step.skill, step.level));
      if (step.level > must->min_level) {
        return absl::InvalidArgumentError(fmt::format("{}: level {} would raise the minimum {}",
                                                      SkillRef(catalog, step.skill), step.level,
                                                      must->min_level));
      }
      must->min_level = step.level;
      return absl::OkStatus();
    case RelaxationKind::kDrop: {
      if (must != work.must.end()) {
        work.must.erase(must);
        return absl::OkStatus();
      }
      auto excluded = std::find(work.excluded.begin(), work.excluded.end(), step.skill);
      if (excluded == work.excluded.end()) {
        return absl::InvalidArgumentError(
            fmt::format("{} is neither a must-have nor excluded when the step applies",
                        SkillRef(catalog, step.skill)));
      }
      work.excluded.erase(excluded);
      return absl::OkStatus();
    }
    case RelaxationKind::kWiden: {
      if (must == work.must.end()) return not_a_must_have();
      OMNIROUTE_RETURN_IF_ERROR(CheckId(catalog, step.alternative));
      OMNIROUTE_RETURN_IF_ERROR(CheckLevel(catalog, step.alternative, step.level));
      const bool accepted =
          step.alternative == must->skill ||
          std::any_of(must->alternatives.begin(), must->alternatives.end(),
                      [&](const SkillLevel& a) { return a.skill == step.alternative; });
      if (accepted) {
        return absl::InvalidArgumentError(fmt::format("the must-have {} already accepts {}",
                                                      SkillRef(catalog, step.skill),
                                                      SkillRef(catalog, step.alternative)));
      }
      if (std::find(work.excluded.begin(), work.excluded.end(), step.alternative) !=
          work.excluded.end()) {
        return absl::InvalidArgumentError(
            fmt::format("cannot widen to the excluded {}", SkillRef(catalog, step.alternative)));
      }
      must->alternatives.push_back({step.alternative, step.level});
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown relaxation kind {}", static_cast<int>(step.kind)));
}

template <typename NameOf>
std::string FormatSkillSet(const SkillSet& skills, NameOf name_of) {
  std::string out = "{";
  for (SkillLevel skill : skills) {
    if (out.size() > 1) out += ", ";
    out += fmt::format("{}:{}", name_of(skill.skill), skill.level);
  }
  out += "}";
  return out;
}

template <typename NameOf>
std::string FormatRequirement(const Requirement& requirement, NameOf name_of) {
  std::vector<std::string> terms;
  for (const std::vector<SkillLevel>& accepted : requirement.must()) {
    std::string term;
    for (const SkillLevel& need : accepted) {
      if (!term.empty()) term += " | ";
      term += fmt::format("{}>={}", name_of(need.skill), need.level);
    }
    terms.push_back(accepted.size() > 1 ? fmt::format("({})", term) : term);
  }
  for (SkillId skill : requirement.excluded()) terms.push_back(fmt::format("!{}", name_of(skill)));
  std::string out;
  for (const std::string& term : terms) out += (out.empty() ? "" : " & ") + term;
  if (out.empty()) out = "any";
  std::string prefer;
  for (const Preference& preference : requirement.preferred()) {
    prefer += fmt::format("{}{}*{}", prefer.empty() ? "; prefer " : ", ", name_of(preference.skill),
                          preference.weight);
  }
  return out + prefer;
}

std::string_view MessageOf(const absl::Status& status) {
  return std::string_view(status.message().data(), status.message().size());
}

// `status` with "steps[i]: " in front of its message, same code.
absl::Status InStep(size_t i, const absl::Status& status) {
  return absl::Status(status.code(), fmt::format("steps[{}]: {}", i, MessageOf(status)));
}

std::string IdName(SkillId id) { return fmt::format("#{}", id); }

}  // namespace

// --- SkillCatalog ---

absl::StatusOr<SkillId> SkillCatalog::Add(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("empty skill name");
  if (name.size() > kMaxSkillNameLength) {
    return absl::InvalidArgumentError(
        fmt::format("skill name \"{}\" is longer than {} characters", name, kMaxSkillNameLength));
  }
  if (!std::all_of(name.begin(), name.end(), ValidNameChar)) {
    return absl::InvalidArgumentError(
        fmt::format("skill name \"{}\" has a character outside letters, digits and _ . : -", name));
  }
  if (auto it = ids_.find(absl::string_view(name.data(), name.size())); it != ids_.end()) {
    return it->second;
  }
  if (names_.size() >= kMaxSkills) {
    return absl::ResourceExhaustedError(
        fmt::format("cannot add skill \"{}\": the catalog is full ({} skills)", name, kMaxSkills));
  }
  const auto id = static_cast<SkillId>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(names_.back(), id);
  return id;
}

void SkillCatalog::TruncateTo(size_t size) {
  while (names_.size() > size) {
    ids_.erase(names_.back());
    names_.pop_back();
  }
}

absl::StatusOr<SkillId> SkillCatalog::Find(std::string_view name) const {
  if (auto it = ids_.find(absl::string_view(name.data(), name.size())); it != ids_.end()) {
    return it->second;
  }
  return absl::NotFoundError(fmt::format("unknown skill \"{}\"", name));
}

bool SkillCatalog::Contains(std::string_view name) const {
  return ids_.contains(absl::string_view(name.data(), name.size()));
}

std::string_view SkillCatalog::Name(SkillId id) const {
  return Contains(id) ? std::string_view(names_[id]) : std::string_view();
}

std::string SkillCatalog::Describe(const SkillSet& skills) const {
  return FormatSkillSet(
      skills, [this](SkillId id) { return Contains(id) ? std::string(Name(id)) : IdName(id); });
}

std::string SkillCatalog::Describe(const Requirement& requirement) const {
  return FormatRequirement(requirement, [this](SkillId id) {
    return Contains(id) ? std::string(Name(id)) : IdName(id);
  });
}

std::string SkillCatalog::Describe(const RelaxationStep& step) const {
  const auto name_of = [this](SkillId id) {
    return Contains(id) ? std::string(Name(id)) : IdName(id);
  };
  const std::string after = absl::FormatDuration(step.after);
  switch (step.kind) {
    case RelaxationKind::kLowerLevel:
      return fmt::format("after {}: lower {} to {}", after, name_of(step.skill), step.level);
    case RelaxationKind::kDrop:
      return fmt::format("after {}: drop {}", after, name_of(step.skill));
    case RelaxationKind::kWiden:
      return fmt::format("after {}: widen {} to {}>={}", after, name_of(step.skill),
                         name_of(step.alternative), step.level);
  }
  return fmt::format("after {}: unknown step", after);
}

// --- SkillSet ---

absl::Status SkillSet::Set(SkillId skill, int level) {
  if (skill >= kMaxSkills) {
    return absl::InvalidArgumentError(
        fmt::format("skill id {} outside 0..{}", skill, kMaxSkills - 1));
  }
  if (!LevelInRange(level)) {
    return absl::InvalidArgumentError(fmt::format("skill id {}: level {} outside {}..{}", skill,
                                                  level, kMinSkillLevel, kMaxSkillLevel));
  }
  const size_t word = skill / 64;
  const uint64_t bit = uint64_t{1} << (skill % 64);
  size_t rank = 0;
  for (size_t w = 0; w < std::min(word, words_.size()); ++w) rank += PopCount(words_[w]);
  if (word < words_.size()) rank += PopCount(words_[word] & (bit - 1));
  if (word < words_.size() && (words_[word] & bit) != 0) {
    levels_[rank] = static_cast<uint8_t>(level);
    return absl::OkStatus();
  }
  if (word >= words_.size()) words_.resize(word + 1, 0);
  words_[word] |= bit;
  levels_.insert(levels_.begin() + rank, static_cast<uint8_t>(level));
  return absl::OkStatus();
}

bool SkillSet::Remove(SkillId skill) {
  if (!Has(skill)) return false;
  const size_t word = skill / 64;
  const uint64_t bit = uint64_t{1} << (skill % 64);
  size_t rank = PopCount(words_[word] & (bit - 1));
  for (size_t w = 0; w < word; ++w) rank += PopCount(words_[w]);
  levels_.erase(levels_.begin() + rank);
  words_[word] &= ~bit;
  while (!words_.empty() && words_.back() == 0) words_.pop_back();
  return true;
}

SkillSet::const_iterator SkillSet::begin() const {
  if (words_.empty()) return end();
  const_iterator it;
  it.words_ = &words_;
  it.levels_ = &levels_;
  it.rest_ = words_[0];
  // The last word is never zero, so this stops on a set bit.
  while (it.rest_ == 0) it.rest_ = words_[++it.word_];
  return it;
}

SkillSet::const_iterator SkillSet::end() const {
  const_iterator it;
  it.words_ = &words_;
  it.levels_ = &levels_;
  it.word_ = words_.size();
  it.rank_ = levels_.size();
  return it;
}

std::ostream& operator<<(std::ostream& os, const SkillSet& s) {
  return os << FormatSkillSet(s, IdName);
}

// --- RelaxationKind ---

std::string_view RelaxationKindName(RelaxationKind kind) {
  return internal::EnumName(kRelaxationKindNames, kind);
}

absl::StatusOr<RelaxationKind> ParseRelaxationKind(std::string_view name) {
  return internal::ParseEnum<RelaxationKind>(kRelaxationKindNames, "relaxation kind", name);
}

// --- Requirement ---

Requirement Requirement::FromValidSpec(const RequirementSpec& spec) {
  Requirement r;
  r.must_.reserve(spec.must.size());
  for (const MustHave& must : spec.must) {
    std::vector<SkillLevel> accepted = {{must.skill, must.min_level}};
    accepted.insert(accepted.end(), must.alternatives.begin(), must.alternatives.end());
    std::sort(accepted.begin(), accepted.end());
    r.must_.push_back(std::move(accepted));
  }
  std::sort(r.must_.begin(), r.must_.end());
  r.must_.erase(std::unique(r.must_.begin(), r.must_.end()), r.must_.end());
  for (const Preference& preference : spec.preferred) {
    if (preference.weight > 0) r.preferred_.push_back(preference);
  }
  std::sort(r.preferred_.begin(), r.preferred_.end(),
            [](const Preference& a, const Preference& b) { return a.skill < b.skill; });
  r.excluded_ = spec.excluded;
  std::sort(r.excluded_.begin(), r.excluded_.end());

  // The bitset test: one entry per word holding a must bit or an excluded bit.
  std::map<uint32_t, WordCheck> words;
  const auto word_of = [&words](SkillId skill) -> WordCheck& {
    const uint32_t word = skill / 64;
    auto [it, inserted] = words.try_emplace(word, WordCheck{word, 0, 0});
    return it->second;
  };
  for (uint32_t i = 0; i < r.must_.size(); ++i) {
    const std::vector<SkillLevel>& accepted = r.must_[i];
    if (accepted.size() > 1) {
      r.alternative_checks_.push_back(i);
      continue;
    }
    const SkillLevel need = accepted.front();
    WordCheck& check = word_of(need.skill);
    check.care |= uint64_t{1} << (need.skill % 64);
    check.must |= uint64_t{1} << (need.skill % 64);
    if (need.level > kMinSkillLevel) r.level_checks_.push_back(need);
  }
  for (SkillId skill : r.excluded_) word_of(skill).care |= uint64_t{1} << (skill % 64);
  for (const auto& [word, check] : words) r.word_checks_.push_back(check);
  std::sort(r.level_checks_.begin(), r.level_checks_.end());
  const bool empty = r.must_.empty() && r.preferred_.empty() && r.excluded_.empty();
  r.fingerprint_ = empty ? 0 : absl::HashOf(r.must_, r.preferred_, r.excluded_);
  return r;
}

absl::StatusOr<Requirement> Requirement::Create(const RequirementSpec& spec,
                                                const SkillCatalog& catalog) {
  if (!spec.steps.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "the requirement has {} relaxation step(s): build a RequirementPlan", spec.steps.size()));
  }
  OMNIROUTE_RETURN_IF_ERROR(ValidateRequirement(spec, catalog));
  return FromValidSpec(spec);
}

bool Requirement::MatchesLevels(const SkillSet& agent) const {
  // The bitset test guarantees these skills are present. They are sorted, so the rank of each
  // (the index of its level) extends the count of the words before it.
  const uint64_t* words = agent.words_.data();
  const uint8_t* levels = agent.levels_.data();
  size_t counted_words = 0;
  size_t rank_base = 0;
  for (const SkillLevel& need : level_checks_) {
    const size_t word = need.skill / 64;
    for (; counted_words < word; ++counted_words)
      rank_base += SkillSet::PopCount(words[counted_words]);
    const uint64_t below = (uint64_t{1} << (need.skill % 64)) - 1;
    if (levels[rank_base + SkillSet::PopCount(words[word] & below)] < need.level) return false;
  }
  for (uint32_t index : alternative_checks_) {
    bool satisfied = false;
    for (const SkillLevel& need : must_[index]) satisfied |= agent.Level(need.skill) >= need.level;
    if (!satisfied) return false;
  }
  return true;
}

Requirement::Mismatch Requirement::Explain(const SkillSet& agent) const {
  for (SkillId excluded : excluded_) {
    if (agent.Level(excluded) > 0) {
      return {Mismatch::Kind::kExcludedTag, excluded, 0, agent.Level(excluded)};
    }
  }
  for (const std::vector<SkillLevel>& accepted : must_) {
    bool satisfied = false;
    const SkillLevel* below = nullptr;
    for (const SkillLevel& need : accepted) {
      const int level = agent.Level(need.skill);
      satisfied |= level >= need.level;
      if (level > 0 && level < need.level && below == nullptr) below = &need;
    }
    if (satisfied) continue;
    if (below != nullptr) {
      return {Mismatch::Kind::kLevelTooLow, below->skill, below->level, agent.Level(below->skill)};
    }
    return {Mismatch::Kind::kMissingSkill, accepted.front().skill, accepted.front().level, 0};
  }
  return {};
}

double Requirement::Score(const SkillSet& agent) const {
  int64_t must_sum = 0;
  for (const std::vector<SkillLevel>& accepted : must_) {
    int best = 0;
    for (const SkillLevel& need : accepted) {
      const int level = agent.Level(need.skill);
      best = std::max(best, level >= need.level ? level : 0);
    }
    must_sum += best;
  }
  double preferred_sum = 0;
  for (const Preference& preference : preferred_) {
    preferred_sum += preference.weight * agent.Level(preference.skill);
  }
  return static_cast<double>(must_sum) + preferred_sum;
}

std::ostream& operator<<(std::ostream& os, const Requirement& r) {
  return os << FormatRequirement(r, IdName);
}

// --- RequirementPlan ---

absl::StatusOr<RequirementPlan> RequirementPlan::Create(const RequirementSpec& spec,
                                                        const SkillCatalog& catalog) {
  OMNIROUTE_RETURN_IF_ERROR(ValidateRequirement(spec, catalog));
  RequirementSpec work = spec;
  work.steps.clear();
  RequirementPlan plan;
  plan.effective_.clear();
  plan.effective_.reserve(spec.steps.size() + 1);
  plan.effective_.push_back(Requirement::FromValidSpec(work));
  for (size_t i = 0; i < spec.steps.size(); ++i) {
    const RelaxationStep& step = spec.steps[i];
    if (step.after < absl::ZeroDuration() || step.after == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(fmt::format("steps[{}]: after {} must be finite and >= 0",
                                                    i, absl::FormatDuration(step.after)));
    }
    if (i > 0 && step.after < spec.steps[i - 1].after) {
      return absl::InvalidArgumentError(
          fmt::format("steps[{}]: after {} comes before steps[{}] (after {}): steps must be in "
                      "ascending order",
                      i, absl::FormatDuration(step.after), i - 1,
                      absl::FormatDuration(spec.steps[i - 1].after)));
    }
    if (absl::Status s = CheckId(catalog, step.skill); !s.ok()) return InStep(i, s);
    if (absl::Status s = ApplyStep(step, catalog, work); !s.ok()) return InStep(i, s);
    plan.effective_.push_back(Requirement::FromValidSpec(work));
  }
  plan.spec_ = spec;
  return plan;
}

const Requirement& RequirementPlan::Effective(int steps) const {
  return effective_[std::clamp(steps, 0, step_count())];
}

int RequirementPlan::StepsDueAfter(absl::Duration waited) const {
  const auto due =
      std::upper_bound(spec_.steps.begin(), spec_.steps.end(), waited,
                       [](absl::Duration w, const RelaxationStep& step) { return w < step.after; });
  return static_cast<int>(due - spec_.steps.begin());
}

const Requirement& RequirementPlan::EffectiveAfter(absl::Duration waited) const {
  return effective_[StepsDueAfter(waited)];
}

absl::Duration RequirementPlan::NextStepAfter(absl::Duration waited) const {
  const int due = StepsDueAfter(waited);
  return due < step_count() ? spec_.steps[due].after : absl::InfiniteDuration();
}

// --- From names ---

absl::StatusOr<SkillSet> SkillSetFromNames(const SkillCatalog& catalog,
                                           const std::map<std::string, int>& levels) {
  SkillSet skills;
  for (const auto& [name, level] : levels) {
    OMNIROUTE_ASSIGN_OR_RETURN(const SkillId id, catalog.Find(name));
    OMNIROUTE_RETURN_IF_ERROR(CheckLevel(catalog, id, level));
    OMNIROUTE_RETURN_IF_ERROR(skills.Set(id, level));
  }
  return skills;
}

absl::StatusOr<RequirementSpec> RequirementSpecFromNames(const SkillCatalog& catalog,
                                                         const NamedRequirement& named) {
  RequirementSpec spec;
  for (const auto& [name, level] : named.must) {
    OMNIROUTE_ASSIGN_OR_RETURN(const SkillId id, catalog.Find(name));
    spec.must.push_back({id, level, {}});
  }
  for (const auto& [name, weight] : named.preferred) {
    OMNIROUTE_ASSIGN_OR_RETURN(const SkillId id, catalog.Find(name));
    spec.preferred.push_back({id, weight});
  }
  for (const std::string& name : named.excluded) {
    OMNIROUTE_ASSIGN_OR_RETURN(const SkillId id, catalog.Find(name));
    spec.excluded.push_back(id);
  }
  for (size_t i = 0; i < named.steps.size(); ++i) {
    const NamedRelaxationStep& step = named.steps[i];
    const auto find = [&](const std::string& name) -> absl::StatusOr<SkillId> {
      absl::StatusOr<SkillId> id = catalog.Find(name);
      if (!id.ok()) return InStep(i, id.status());
      return id;
    };
    OMNIROUTE_ASSIGN_OR_RETURN(const SkillId skill, find(step.skill));
    SkillId alternative = 0;
    if (step.kind == RelaxationKind::kWiden) {
      OMNIROUTE_ASSIGN_OR_RETURN(alternative, find(step.alternative));
    }
    spec.steps.push_back({step.after, step.kind, skill, alternative, step.level});
  }
  return spec;
}

}  // namespace omniroute
