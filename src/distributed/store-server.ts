import { createServer, type Server, type Socket } from 'node:net';

/**
 * The rendezvous key-value server rank 0 runs at MASTER_ADDR:MASTER_PORT, as PyTorch's
 * TCPStore: ranks publish their Gloo addresses and read their peers'. Only rendezvous goes
 * through it; Gloo then connects the ranks directly. Wire format in native/src/dist_store.cc.
 */
export class StoreServer {
  private readonly values = new Map<string, Buffer>();
  private readonly waiters = new Map<string, Socket[]>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  /** Listens on host:port; rejects with the system's reason (address in use, not local...). */
  static listen(host: string, port: number): Promise<StoreServer> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      const store = new StoreServer(server);
      server.on('connection', (s) => store.serve(s));
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        // Idle after rendezvous: it must not keep a finished process alive.
        server.unref();
        resolve(store);
      });
    });
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.unref();
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        const used = this.handle(socket, buffered);
        if (used === 0) break;
        buffered = buffered.subarray(used);
      }
    });
    // A rank that dies mid-rendezvous just drops its connection; its peers time out.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Handles one complete request at the start of `buf`; returns the bytes used (0: need more). */
  private handle(socket: Socket, buf: Buffer): number {
    if (buf.length < 5) return 0;
    const op = String.fromCharCode(buf[0]!);
    const klen = buf.readUInt32BE(1);
    if (buf.length < 5 + klen) return 0;
    const key = buf.subarray(5, 5 + klen).toString('utf8');
    if (op === 'G') {
      const value = this.values.get(key);
      if (value) reply(socket, value);
      else this.waiters.set(key, [...(this.waiters.get(key) ?? []), socket]);
      return 5 + klen;
    }
    if (op !== 'S') {
      socket.destroy();
      return 0;
    }
    if (buf.length < 9 + klen) return 0;
    const vlen = buf.readUInt32BE(5 + klen);
    if (buf.length < 9 + klen + vlen) return 0;
    const value = Buffer.from(buf.subarray(9 + klen, 9 + klen + vlen));
    this.values.set(key, value);
    socket.write('K');
    for (const w of this.waiters.get(key) ?? []) reply(w, value);
    this.waiters.delete(key);
    return 9 + klen + vlen;
  }

  /** Stops listening and drops every connection. */
  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

function reply(socket: Socket, value: Buffer): void {
  const head = Buffer.alloc(5);
  head.write('V', 0);
  head.writeUInt32BE(value.length, 1);
  socket.write(Buffer.concat([head, value]));
}
