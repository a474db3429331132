// cpuInfo() -> { avx2, avx512, avx512bf16, amx, cores, threads, isa }: what this CPU and
// this binary support, and the ISA that 'auto' resolves to.
// adviseHugePages({ data: Float32Array }) -> boolean: tessera::advise_huge_pages on its bytes.
#include <napi.h>

#include "args.h"
#include "bindings.h"
#include "tessera/cpu_features.h"
#include "tessera/huge_pages.h"
#include "tessera/thread_pool.h"

namespace tessera_binding {
namespace {

Napi::Value cpu_info(const Napi::CallbackInfo& info) {
  const tessera::CpuFeatures& f = tessera::cpu_features();
  tessera::Isa best = tessera::Isa::kScalar;
  tessera::resolve_isa(tessera::Isa::kAuto, &best);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("avx2", f.avx2);
  out.Set("avx512", f.avx512);
  out.Set("avx512bf16", f.avx512bf16);
  out.Set("amx", f.amx);
  out.Set("cores", f.cores);
  out.Set("threads", tessera::default_thread_count());
  out.Set("isa", tessera::isa_name(best));
  return out;
}

Napi::Value advise_huge_pages(const Napi::CallbackInfo& info) {
  const TypedView<float> data = require_float32(require_object(info[0], "args"), "data");
  return Napi::Boolean::New(info.Env(),
                            tessera::advise_huge_pages(data.data, data.length * sizeof(float)));
}

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuInfo", Napi::Function::New(env, cpu_info, "cpuInfo"));
  exports.Set("adviseHugePages", Napi::Function::New(env, advise_huge_pages, "adviseHugePages"));
}

}  // namespace tessera_binding
