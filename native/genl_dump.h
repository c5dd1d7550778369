// A generic netlink socket that runs a list of dump requests off the JavaScript thread and hands
// back every reply message in one Buffer. JS sees: new GenlDumpSocket(timeoutMs),
// .dump(family, cmd, version, attrs, lengths) -> Promise<{ messages, ends, errnos }>, .close().
#pragma once

#include <napi.h>

namespace lvsd {

Napi::Function DefineGenlDumpSocket(Napi::Env env);

}  // namespace lvsd
