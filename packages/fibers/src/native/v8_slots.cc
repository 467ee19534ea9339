#include "v8_slots.h"

#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <vector>

#include <v8-version.h>

#include "symbol_index.h"

namespace greenpatch {
namespace {

struct SlotSpec {
  const char* names[2];  // mangled; the second is an older spelling
  const char* label;
  bool wide;             // 8 bytes, else 4
  bool required;
};

constexpr SlotSpec kSpecs[kMaxSlots] = {
    {{"_ZN2v88internal18g_current_isolate_E", nullptr}, "g_current_isolate_", true, true},
    {{"_ZN2v88internal34g_current_per_isolate_thread_data_E", nullptr}, "g_current_per_isolate_thread_data_", true, true},
    {{"_ZN2v88internal12_GLOBAL__N_19thread_idE", nullptr}, "thread_id", false, true},
    {{"_ZN2v84base12_GLOBAL__N_118thread_stack_startE", nullptr}, "thread_stack_start", true, true},
    {{"_ZN2v88internal21g_current_local_heap_E", "_ZN2v88internal12_GLOBAL__N_118current_local_heapE"},
     "current local heap", true, false},
    {{"_ZN2v88internal12_GLOBAL__N_123current_marking_barrierE", nullptr}, "current marking barrier", true, false},
};
constexpr int kRequired = 4;  // the first four; kStackStartSlot is the fourth
constexpr uint64_t kMissing = UINT64_MAX;

// Where the symbols were found: which loaded module, at what offsets inside
// that module's TLS block. The same for every thread of the process.
struct Location {
  bool done = false;
  std::string error;
  std::string module_path;
  size_t module_index = 0;  // position in dl_iterate_phdr order
  uint64_t offsets[kMaxSlots] = {};  // kMissing where an optional one is absent
};

Location g_location;
std::once_flag g_location_once;

struct Module {
  std::string path;  // empty for the executable
  size_t index;      // position in dl_iterate_phdr order
  bool has_tls;
};

// Looks up the TLS symbols of kSpecs in one ELF file (through its symbol
// index, else its .symtab and .dynsym): each slot's spelling this V8 is
// expected to use, then the other one for any slot still missing (a scan
// for a name the file lacks reads every entry, twice, and .dynsym). Returns
// how many of the required ones were found.
int FindSymbols(const std::string& path, uint64_t offsets[kMaxSlots]) {
  for (int k = 0; k < kMaxSlots; k++) offsets[k] = kMissing;
  int count = 0;
  // V8 13 (Node 24) renamed the current local heap; 11 and 12 (Node 20, 22)
  // have the older spelling.
  constexpr int kFirst = V8_MAJOR_VERSION >= 13 ? 0 : 1;
  for (int spelling : {kFirst, 1 - kFirst}) {
    std::vector<const char*> names;
    for (const SlotSpec& spec : kSpecs) {
      if (spec.names[spelling] != nullptr && offsets[&spec - kSpecs] == kMissing) names.push_back(spec.names[spelling]);
    }
    if (names.empty()) break;
    const ElfSymbols found = LookUpElfSymbols(path, STT_TLS, names);
    for (int k = 0; k < kMaxSlots; k++) {
      const char* name = kSpecs[k].names[spelling];
      auto it = name != nullptr && offsets[k] == kMissing ? found.values.find(name) : found.values.end();
      if (it == found.values.end()) continue;
      offsets[k] = it->second;
      if (kSpecs[k].required) count++;
    }
  }
  return count;
}

// The running executable's own path (for messages; it opens the same file).
std::string ExecutablePath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "/proc/self/exe";
  buf[n] = '\0';
  return buf;
}

int CollectModules(struct dl_phdr_info* info, size_t, void* data) {
  auto* modules = static_cast<std::vector<Module>*>(data);
  size_t index = modules->size();
  bool has_tls = false;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    if (info->dlpi_phdr[i].p_type == PT_TLS) has_tls = true;
  }
  // Every module is kept so that indices match a later walk.
  modules->push_back({info->dlpi_name ? info->dlpi_name : "", index, has_tls});
  return 0;
}

void Locate() {
  std::vector<Module> modules;
  dl_iterate_phdr(CollectModules, &modules);
  std::string missing;
  for (const Module& m : modules) {
    if (!m.has_tls) continue;
    std::string path = m.path.empty() ? ExecutablePath() : m.path;
    uint64_t offsets[kMaxSlots];
    int n = FindSymbols(path, offsets);
    if (n == kRequired) {
      g_location.module_path = path;
      g_location.module_index = m.index;
      memcpy(g_location.offsets, offsets, sizeof(offsets));
      g_location.done = true;
      return;
    }
    if (n > 0) {
      missing = path + " lacks";
      for (int k = 0; k < kRequired; k++) {
        if (offsets[k] == kMissing) missing += std::string(" ") + kSpecs[k].label;
      }
    }
  }
  g_location.error = missing.empty()
      ? "V8's thread-local variables (g_current_isolate_, g_current_per_isolate_thread_data_, "
        "thread_id, thread_stack_start) are not in the symbol table of " + ExecutablePath() +
        " or of any library it loaded (a stripped build of Node?)"
      : "V8's thread-local variables are incomplete: " + missing;
}

struct TlsQuery {
  size_t wanted;
  size_t seen = 0;
  void* tls_data = nullptr;
};

int FindTlsBlock(struct dl_phdr_info* info, size_t, void* data) {
  auto* q = static_cast<TlsQuery*>(data);
  if (q->seen++ == q->wanted) {
    q->tls_data = info->dlpi_tls_data;
    return 1;
  }
  return 0;
}

}  // namespace

bool V8Slots::Bind(void* expected_isolate, std::string* error) {
  std::call_once(g_location_once, Locate);
  if (!g_location.done) {
    *error = g_location.error;
    return false;
  }
  // dlpi_tls_data is the calling thread's copy of the module's TLS block, so
  // this works for the executable and for a shared libnode alike.
  TlsQuery q{g_location.module_index};
  dl_iterate_phdr(FindTlsBlock, &q);
  if (q.tls_data == nullptr) {
    *error = "the TLS block of " + g_location.module_path + " is not allocated on this thread";
    return false;
  }
  char* block = static_cast<char*>(q.tls_data);
  count_ = 0;
  for (int k = 0; k < kMaxSlots; k++) {
    if (g_location.offsets[k] == kMissing) continue;
    addr_[count_] = block + g_location.offsets[k];
    wide_[count_] = kSpecs[k].wide;
    count_++;
  }
  // Trust nothing that does not hold what V8 itself says is current. The
  // required slots come first, in kSpecs order.
  SlotValues now;
  Save(&now);
  const uint64_t here = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
  if (now.values[0] != reinterpret_cast<uint64_t>(expected_isolate) || now.values[1] == 0 ||
      static_cast<int32_t>(now.values[2]) <= 0 || now.values[kStackStartSlot] <= here) {
    *error = "V8's thread-local variables found in " + g_location.module_path +
             " do not hold the current isolate's state";
    count_ = 0;
    return false;
  }
  return true;
}

}  // namespace greenpatch
