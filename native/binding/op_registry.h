// One way to expose a kernel to JavaScript. An op supplies an unpacker that turns its JS
// argument object into a self-contained call (plain params, no V8 access); register_op then
// provides <name>Sync(args), <name>Async(args) -> Promise, and makes the op available to
// runSequence(steps) -> Promise, which runs a whole list of calls (a model's forward pass) in
// one asynchronous job, in order, without returning to the event loop between them.
#pragma once

#include <napi.h>

#include <functional>

#include "tessera/status.h"

namespace tessera_binding {

// An unpacked, validated call; safe to run on any thread.
using OpCall = std::function<tessera::Status()>;

// Validates `args` (throwing a Napi::Error naming the bad field) and returns the call.
using OpUnpacker = OpCall (*)(const Napi::Object& args);

void register_op(Napi::Env env, Napi::Object exports, const char* name, OpUnpacker unpack);

// Runs a call and turns a C++ exception escaping it into a Status (std::bad_alloc: out of
// memory), so that it reaches JS as a typed error: inside a binding it would otherwise end the
// process, and on a libuv worker node-addon-api would hand it to AsyncWorker::OnError, which
// settles none of our promises (the workers here report through Status only).
tessera::Status run_guarded(const OpCall& call);

// runSequence(steps: { op: string, args: object }[]) -> Promise<void>.
void register_sequence(Napi::Env env, Napi::Object exports);

}  // namespace tessera_binding
