// Rendezvous store for Gloo over TCP: a client of the small key-value server that rank 0 runs
// (src/distributed/store-server.ts), as PyTorch's TCPStore; Gloo's own stores need a shared file
// system or an external key-value server. This carries the peers' addresses during rendezvous;
// every collective then runs in Gloo.
#pragma once

#include <gloo/rendezvous/store.h>

#include <chrono>
#include <string>
#include <vector>

namespace kiln {
namespace dist {

class TcpStore : public gloo::rendezvous::Store {
 public:
  // Connects to host:port, retrying refused connections until `timeout` has passed (the
  // server may start after this rank). Throws std::runtime_error with a one-line reason.
  TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout);
  ~TcpStore() override;

  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;

  // The local IP address of the connection to the server: an address of this machine that
  // the master's network reaches, so peers can connect back to it.
  const std::string& localAddress() const { return local_; }

 private:
  void sendAll(const std::string& bytes);
  void recvAll(char* dst, size_t n, std::chrono::steady_clock::time_point deadline,
               const std::string& waitingFor);
  std::vector<char> request(char op, const std::string& key, const std::vector<char>* value,
                            std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::string where_;
  std::string local_;
  std::chrono::milliseconds timeout_;
};

}  // namespace dist
}  // namespace kiln
