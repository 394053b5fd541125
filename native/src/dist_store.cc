// Wire format (shared with src/distributed/store-server.ts), all integers big-endian u32:
//   set: 'S' klen key vlen value  -> 'K'
//   get: 'G' klen key             -> 'V' vlen value, sent once the key exists
#include "dist_store.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace kiln {
namespace dist {

namespace {

using Clock = std::chrono::steady_clock;

std::string seconds(std::chrono::milliseconds ms) {
  char buf[32];
  snprintf(buf, sizeof buf, "%gs", ms.count() / 1000.0);
  return buf;
}

void putU32(std::string& s, uint32_t v) {
  uint32_t be = htonl(v);
  s.append(reinterpret_cast<const char*>(&be), 4);
}

// One connection attempt to every address of host:port; returns the socket or -1 with errno.
int tryConnect(const std::string& host, int port, std::string* why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    *why = std::string("cannot resolve host: ") + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    *why = strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

}  // namespace

TcpStore::TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout)
    : where_(host + ":" + std::to_string(port)), timeout_(timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string why;
  for (;;) {
    fd_ = tryConnect(host, port, &why);
    if (fd_ >= 0) break;
    if (why.rfind("cannot resolve", 0) == 0 || Clock::now() >= deadline)
      throw std::runtime_error("cannot reach the master at " + where_ + " within " +
                               seconds(timeout) + " (" + why +
                               "); check MASTER_ADDR/MASTER_PORT and that rank 0 is running");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
    if (local.ss_family == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&local)->sin_addr, buf, sizeof buf);
    else
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr, buf, sizeof buf);
  }
  local_ = buf;
}

TcpStore::~TcpStore() {
  if (fd_ >= 0) close(fd_);
}

void TcpStore::sendAll(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw std::runtime_error("rendezvous: lost the connection to the master at " + where_ +
                               " (" + strerror(errno) + ")");
    done += size_t(n);
  }
}

void TcpStore::recvAll(char* dst, size_t n, Clock::time_point deadline,
                       const std::string& waitingFor) {
  size_t done = 0;
  while (done < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("rendezvous: timed out after " + seconds(timeout_) +
                               " waiting for " + waitingFor +
                               " (did every rank start, with the same WORLD_SIZE?)");
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, int(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t got = recv(fd_, dst + done, n - done, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw std::runtime_error("rendezvous: the master at " + where_ +
                               " closed the connection (did rank 0 exit?)");
    done += size_t(got);
  }
}

std::vector<char> TcpStore::request(char op, const std::string& key,
                                    const std::vector<char>* value,
                                    std::chrono::milliseconds timeout) {
  std::string msg(1, op);
  putU32(msg, uint32_t(key.size()));
  msg += key;
  if (value != nullptr) {
    putU32(msg, uint32_t(value->size()));
    msg.append(value->data(), value->size());
  }
  sendAll(msg);
  const auto deadline = Clock::now() + timeout;
  char tag = 0;
  recvAll(&tag, 1, deadline, "'" + key + "'");
  if (op == 'S') {
    if (tag != 'K') throw std::runtime_error("rendezvous: bad reply from the master at " + where_);
    return {};
  }
  if (tag != 'V') throw std::runtime_error("rendezvous: bad reply from the master at " + where_);
  uint32_t be = 0;
  recvAll(reinterpret_cast<char*>(&be), 4, deadline, "'" + key + "'");
  std::vector<char> out(ntohl(be));
  if (!out.empty()) recvAll(out.data(), out.size(), deadline, "'" + key + "'");
  return out;
}

void TcpStore::set(const std::string& key, const std::vector<char>& data) {
  request('S', key, &data, timeout_);
}

std::vector<char> TcpStore::get(const std::string& key) {
  return request('G', key, nullptr, timeout_);
}

void TcpStore::wait(const std::vector<std::string>& keys) { wait(keys, timeout_); }

void TcpStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  // A get returns only once its key exists, so reading each key is waiting for it.
  for (const auto& key : keys) request('G', key, nullptr, timeout);
}

}  // namespace dist
}  // namespace kiln
