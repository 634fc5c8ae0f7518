// Files embedded into the program at build time (embed_files.cmake writes their definitions), so
// the installed host serves its dashboard and knows its default configuration with nothing beside
// it.
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_ASSETS_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_ASSETS_H_

#include <span>
#include <string_view>

namespace omniroute::crm {

struct EmbeddedFile {
  std::string_view path;  // relative to its directory, '/'-separated
  std::string_view content;
};

// examples/crm_host/web/, sorted by path.
std::span<const EmbeddedFile> WebAssets();
// examples/crm_host/default_config.json (one entry).
std::span<const EmbeddedFile> DefaultConfigAssets();

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_ASSETS_H_
