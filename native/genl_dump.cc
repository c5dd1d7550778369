// Generic netlink dumps in a worker thread, for the IPVS full read (issue 11 §6).
//
// Why native: a full read of 10,000 services is one GET_SERVICE dump and then one GET_DEST dump
// per service (ip_vs_ctl.c has no GET_DEST doit). On netlink@0.3.0 each dump part was a libuv
// wake-up, a peek-then-read pair of recvmsg calls and a JS callback on the main thread: 1.72x
// `ipvsadm -Sn` in the lab VM. Here a libuv pool thread runs the whole list: per request one
// send and one recvmmsg, and JS gets every reply message of every request in one Buffer that the
// TypeScript codec decodes (src/kernel/genl-dump.ts).
//
// Why one request at a time: ip_vs_genl_dump_dests returns skb->len while it has written
// anything, so the kernel writes NLMSG_DONE only on the next netlink_dump call, which the next
// recvmsg makes (af_netlink.c); until then the socket's dump is running and a second dump
// request is refused with EBUSY. Several dumps in one datagram therefore cannot run; the
// recvmmsg that takes the data also takes the DONE its first receive queued.
//
// Errors: EINTR is retried; EBUSY (a dump still running on the socket; it cannot happen with one
// request at a time, so it is retried a few times and then reported); an ENOBUFS error reply to
// a request is not its end (the kernel still runs the dump); ENOBUFS on the socket, a timeout
// (SO_RCVTIMEO), a truncated or malformed reply fail the whole call, and the caller starts over
// on a fresh socket. An error reply to one request (ESRCH for a service deleted meanwhile) is
// that request's errno and the others carry on. The socket is opened on the calling (JS) thread,
// so it belongs to that thread's network namespace (src/kernel/native.ts inNetns).
#include "genl_dump.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "syscall_error.h"
#include "unique_fd.h"

namespace lvsd {
namespace {

// netlink_recvmsg caps the size of dump messages at SKB_WITH_OVERHEAD(32768), and sizes them by
// the largest buffer the reader has offered: 32 KiB slots get the biggest parts (fewest receives).
constexpr size_t kSlotBytes = 32768;
// Messages taken per recvmmsg: a GET_SERVICE dump of 10,000 services is about 80 of them.
constexpr unsigned kSlots = 16;
constexpr int kBusyRetries = 3;

// One socket, shared by the JS object and the worker running on it, so that close() during a
// dump leaves the descriptor open until the worker is done with it.
struct DumpSocketState {
  explicit DumpSocketState(int fd) : fd(fd) {}
  UniqueFd fd;
  bool busy = false;  // touched on the JS thread only
};

class DumpWorker : public Napi::AsyncWorker {
 public:
  DumpWorker(Napi::Env env, std::shared_ptr<DumpSocketState> socket, uint16_t family, uint8_t cmd, uint8_t version, std::vector<uint8_t> attrs,
             std::vector<uint32_t> lengths)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        socket_(std::move(socket)),
        family_(family),
        cmd_(cmd),
        version_(version),
        attrs_(std::move(attrs)),
        lengths_(std::move(lengths)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const int fd = socket_->fd.get();
    slots_.resize(kSlotBytes * kSlots);
    ends_.resize(lengths_.size());
    errnos_.resize(lengths_.size());
    size_t at = 0;
    for (size_t i = 0; i < lengths_.size(); i++) {
      const uint32_t len = lengths_[i];
      int result = EBUSY;
      for (int attempt = 0; result == EBUSY && attempt <= kBusyRetries; attempt++) {
        const size_t mark = out_.size();
        if (!Send(fd, at, len)) return;
        if (!Collect(fd, &result)) return;
        if (result == EBUSY) out_.resize(mark);
      }
      errnos_[i] = result;
      if (out_.size() > UINT32_MAX) {
        Fail(EOVERFLOW, "dump (more than 4 GiB of replies)");
        return;
      }
      ends_[i] = static_cast<uint32_t>(out_.size());
      at += len;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    socket_->busy = false;
    if (err_ != 0) {
      deferred_.Reject(SyscallError(env, syscall_, err_).Value());
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("messages", Napi::Buffer<uint8_t>::Copy(env, out_.data(), out_.size()));
    Napi::Uint32Array ends = Napi::Uint32Array::New(env, ends_.size());
    if (!ends_.empty()) std::memcpy(ends.Data(), ends_.data(), ends_.size() * sizeof(uint32_t));
    Napi::Int32Array errnos = Napi::Int32Array::New(env, errnos_.size());
    if (!errnos_.empty()) std::memcpy(errnos.Data(), errnos_.data(), errnos_.size() * sizeof(int32_t));
    result.Set("ends", ends);
    result.Set("errnos", errnos);
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override {
    socket_->busy = false;
    deferred_.Reject(e.Value());
  }

 private:
  void Fail(int err, const char* syscall) {
    err_ = err;
    syscall_ = syscall;
  }

  // Sends request `at..at+len` of attrs_ as one dump request with the next sequence number.
  bool Send(int fd, size_t at, uint32_t len) {
    const size_t total = NLMSG_HDRLEN + GENL_HDRLEN + len;
    frame_.assign(NLMSG_ALIGN(total), 0);
    auto* nlh = reinterpret_cast<nlmsghdr*>(frame_.data());
    nlh->nlmsg_len = static_cast<uint32_t>(total);
    nlh->nlmsg_type = family_;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++seq_;
    auto* genl = reinterpret_cast<genlmsghdr*>(frame_.data() + NLMSG_HDRLEN);
    genl->cmd = cmd_;
    genl->version = version_;
    if (len > 0) std::memcpy(frame_.data() + NLMSG_HDRLEN + GENL_HDRLEN, attrs_.data() + at, len);
    for (;;) {
      ssize_t sent = send(fd, frame_.data(), total, 0);
      if (sent >= 0) return true;
      if (errno == EINTR) continue;
      Fail(errno, "sendmsg(generic netlink dump)");
      return false;
    }
  }

  // Receives until the current request's DONE or error reply; data messages are appended to
  // out_, whole (header included). Sets *result to the request's errno (0 on success).
  bool Collect(int fd, int* result) {
    mmsghdr msgs[kSlots];
    iovec iov[kSlots];
    for (;;) {
      for (unsigned k = 0; k < kSlots; k++) {
        iov[k] = {slots_.data() + k * kSlotBytes, kSlotBytes};
        msgs[k] = {};
        msgs[k].msg_hdr.msg_iov = &iov[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
      }
      int got = recvmmsg(fd, msgs, kSlots, MSG_WAITFORONE, nullptr);
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) Fail(ETIMEDOUT, "recvmsg(generic netlink dump)");
        else Fail(errno, "recvmsg(generic netlink dump)");
        return false;
      }
      for (int k = 0; k < got; k++) {
        if (msgs[k].msg_hdr.msg_flags & MSG_TRUNC) {
          Fail(EMSGSIZE, "recvmsg(generic netlink dump: reply truncated)");
          return false;
        }
        const uint8_t* data = slots_.data() + k * kSlotBytes;
        int left = static_cast<int>(msgs[k].msg_len);
        bool done = false;
        for (auto* nlh = reinterpret_cast<const nlmsghdr*>(data); NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
          if (nlh->nlmsg_seq != seq_) continue;  // the end of a request given up on; cannot happen today
          if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
            int code = 0;
            if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) std::memcpy(&code, NLMSG_DATA(nlh), sizeof(int));
            // An ENOBUFS error reply to the request is not its end: the kernel set the dump up
            // but found the receive buffer full (__netlink_dump_start: cb_running stays set) and
            // sends the whole reply, then DONE, on a later receive.
            if (nlh->nlmsg_type == NLMSG_ERROR && code == -ENOBUFS) continue;
            *result = code < 0 ? -code : 0;
            done = true;
            continue;
          }
          if (nlh->nlmsg_type < NLMSG_MIN_TYPE) continue;  // NOOP, OVERRUN
          const auto* bytes = reinterpret_cast<const uint8_t*>(nlh);
          out_.insert(out_.end(), bytes, bytes + nlh->nlmsg_len);
          out_.resize(NLMSG_ALIGN(out_.size()), 0);
        }
        if (left > 0) {
          Fail(EPROTO, "recvmsg(generic netlink dump: malformed reply)");
          return false;
        }
        if (done) return true;
      }
    }
  }

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<DumpSocketState> socket_;
  const uint16_t family_;
  const uint8_t cmd_;
  const uint8_t version_;
  const std::vector<uint8_t> attrs_;
  const std::vector<uint32_t> lengths_;
  uint32_t seq_ = 0;
  std::vector<uint8_t> frame_;
  std::vector<uint8_t> slots_;
  std::vector<uint8_t> out_;
  std::vector<uint32_t> ends_;
  std::vector<int32_t> errnos_;
  int err_ = 0;
  const char* syscall_ = "";
};

class GenlDumpSocket : public Napi::ObjectWrap<GenlDumpSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "GenlDumpSocket", {InstanceMethod<&GenlDumpSocket::Dump>("dump"), InstanceMethod<&GenlDumpSocket::Close>("close")});
  }

  explicit GenlDumpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GenlDumpSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "expected a timeout in ms");
    const int64_t timeoutMs = info[0].As<Napi::Number>().Int64Value();
    if (timeoutMs <= 0) throw Napi::RangeError::New(env, "timeout must be positive");
    UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
    if (fd.get() < 0) ThrowErrno(env, "socket(AF_NETLINK, NETLINK_GENERIC)");
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) ThrowErrno(env, "bind(generic netlink)");
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) ThrowErrno(env, "connect(generic netlink)");
    // Error replies carry only the header of the request they answer, not the request.
    int on = 1;
    setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));
    timeval timeout{static_cast<time_t>(timeoutMs / 1000), static_cast<suseconds_t>((timeoutMs % 1000) * 1000)};
    if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) ThrowErrno(env, "setsockopt(SO_RCVTIMEO)");
    state_ = std::make_shared<DumpSocketState>(fd.release());
  }

 private:
  Napi::Value Dump(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!state_) throw Napi::Error::New(env, "generic netlink dump socket is closed");
    if (state_->busy) throw Napi::Error::New(env, "generic netlink dump socket is busy (one dump list at a time)");
    if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsBuffer() || !info[4].IsTypedArray()) {
      throw Napi::TypeError::New(env, "expected (family, cmd, version, attrs: Buffer, lengths: Uint32Array)");
    }
    const uint32_t family = info[0].As<Napi::Number>().Uint32Value();
    const uint32_t cmd = info[1].As<Napi::Number>().Uint32Value();
    const uint32_t version = info[2].As<Napi::Number>().Uint32Value();
    if (family < NLMSG_MIN_TYPE || family > 0xffff || cmd > 0xff || version > 0xff) throw Napi::RangeError::New(env, "family, cmd or version out of range");
    Napi::Buffer<uint8_t> attrs = info[3].As<Napi::Buffer<uint8_t>>();
    Napi::TypedArray typed = info[4].As<Napi::TypedArray>();
    if (typed.TypedArrayType() != napi_uint32_array) throw Napi::TypeError::New(env, "lengths must be a Uint32Array");
    Napi::Uint32Array lengths = typed.As<Napi::Uint32Array>();
    std::vector<uint32_t> lens(lengths.Data(), lengths.Data() + lengths.ElementLength());
    uint64_t sum = 0;
    for (uint32_t len : lens) {
      if (len > 0xffff) throw Napi::RangeError::New(env, "a request's attributes exceed 64 KiB");
      sum += len;
    }
    if (sum != attrs.Length()) throw Napi::RangeError::New(env, "lengths do not add up to the attributes' size");
    std::vector<uint8_t> copy(attrs.Data(), attrs.Data() + attrs.Length());
    auto* worker = new DumpWorker(env, state_, static_cast<uint16_t>(family), static_cast<uint8_t>(cmd), static_cast<uint8_t>(version), std::move(copy),
                                  std::move(lens));
    state_->busy = true;
    worker->Queue();
    return worker->Promise();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    state_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<DumpSocketState> state_;
};

}  // namespace

Napi::Function DefineGenlDumpSocket(Napi::Env env) {
  return GenlDumpSocket::Define(env);
}

}  // namespace lvsd
