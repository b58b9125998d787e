import net from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes an HTTP/1.1 server's keep-alive connections without racing its
 * clients. Node's `server.close()` destroys every connection that is idle at
 * that instant, and a keep-alive client that has just read an answer is
 * "idle" for the microseconds before it sends its next request on the same
 * socket: that request is reset (ECONNRESET). Here the listener closes first
 * (no new connections), connections with a request in flight are left to
 * finish (their answers say `Connection: close`), and an idle connection is
 * closed only once it has been quiet for `idleGraceMs`, which a client in
 * the middle of a conversation never is.
 */
export class ConnectionDrain {
  private readonly sockets = new Set<Socket>();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get open(): number {
    return this.sockets.size;
  }

  /** Resolves when every connection is gone, or at `timeoutMs`, when the rest are destroyed. */
  async drain(options: { idleGraceMs: number; timeoutMs: number; pollMs?: number }): Promise<void> {
    // Stop accepting, without http.Server#close's immediate destruction of idle connections.
    if (this.server.listening) net.Server.prototype.close.call(this.server);
    const deadline = Date.now() + options.timeoutMs;
    const seen = new Map<Socket, { bytes: number; since: number }>();
    while (this.sockets.size > 0 && Date.now() < deadline) {
      const now = Date.now();
      for (const socket of this.sockets) {
        const bytes = socket.bytesRead + socket.bytesWritten;
        const last = seen.get(socket);
        if (!last || last.bytes !== bytes || inFlight(socket)) {
          seen.set(socket, { bytes, since: now });
        } else if (now - last.since >= options.idleGraceMs) {
          socket.end();
          socket.destroySoon();
        }
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
    }
    for (const socket of this.sockets) socket.destroy();
  }
}

/** A response is being written on the socket (Node keeps the current one as `_httpMessage`). */
const inFlight = (socket: Socket): boolean => {
  const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return !!res && !res.writableFinished;
};
