// Transparent huge pages for large buffers that are about to be written for the first time.
#pragma once

#include <cstddef>

namespace tessera {

// Asks the kernel to back the 2 MiB-aligned interior of [data, data + bytes) with huge pages
// when it first touches them (madvise MADV_HUGEPAGE; Linux only). A 295 MB attention output
// then takes ~150 page faults instead of ~72,000 (first touch ~2x faster measured here), and
// fewer TLB entries. Pages already touched stay as they are. Returns whether the advice was
// given: false for ranges without a whole aligned 2 MiB page, on other systems, or when the
// kernel has no transparent huge pages.
bool advise_huge_pages(void* data, size_t bytes);

}  // namespace tessera
