// ReportMessage: one report on the sandbox's report socket (child_protocol.h), with room for one
// descriptor: what sendmsg and recvmsg take. Plain system-call data, usable by the setup child.
#ifndef CODEEXEC_SRC_SANDBOX_REPORT_MESSAGE_H_
#define CODEEXEC_SRC_SANDBOX_REPORT_MESSAGE_H_

#include <sys/socket.h>
#include <sys/uio.h>

#include "sandbox/child_protocol.h"

namespace codeexec {

struct ReportMessage {
  ChildFailure report{};
  iovec data{&report, sizeof(report)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr header{};

  ReportMessage() {
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
  }
  ReportMessage(const ReportMessage&) = delete;
  ReportMessage& operator=(const ReportMessage&) = delete;

  // Attaches `fd` to the message (before sendmsg).
  void Attach(int fd) {
    cmsghdr* rights = CMSG_FIRSTHDR(&header);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(sizeof(int));
    __builtin_memcpy(CMSG_DATA(rights), &fd, sizeof(int));
  }
  // The descriptor a received message carries, or -1.
  int Attached() {
    cmsghdr* rights = CMSG_FIRSTHDR(&header);
    if (rights == nullptr || rights->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    __builtin_memcpy(&fd, CMSG_DATA(rights), sizeof(int));
    return fd;
  }
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_REPORT_MESSAGE_H_
