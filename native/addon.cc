// lvsd native addon: entry point. Each socket kind registers itself here.
#include <napi.h>

namespace {

Napi::Value AbiVersion(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), 1);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Function::New(env, AbiVersion));
  return exports;
}

}  // namespace

NODE_API_MODULE(lvsd_native, Init)
