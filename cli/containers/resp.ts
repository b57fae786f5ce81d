import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

/**
 * A minimal Redis client (RESP2 over TCP or TLS) for drills and tests: one command at a time, each
 * awaited, so every reply is an acknowledged write with a known time.
 */
export class RespClient {
  private buffer = Buffer.alloc(0);
  private waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private closedError?: Error;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const fail = (error: Error) => {
      this.closedError = error;
      for (const w of this.waiting.splice(0)) w.reject(error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
  }

  /**
   * Connects over TCP, or over TLS verifying the server against `tls.ca` for the name
   * `tls.servername` (the address is an IP; the certificate names the Service).
   */
  static connect(port: number, host = "127.0.0.1", tls?: { ca: string; servername: string }): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket: Socket = tls
        ? tlsConnect({ port, host, ca: tls.ca, servername: tls.servername }, () => resolve(new RespClient(socket)))
        : connect({ port, host }, () => resolve(new RespClient(socket)));
      socket.once("error", reject);
    });
  }

  command(...args: (string | number)[]): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const parts = args.map(String);
    this.socket.write(`*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join("")}`);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  close(): void {
    this.socket.destroy();
  }

  private drain(): void {
    for (;;) {
      const parsed = parse(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      const waiter = this.waiting.shift();
      if (!waiter) continue;
      if (parsed.value instanceof Error) waiter.reject(parsed.value);
      else waiter.resolve(parsed.value);
    }
  }
}

function parse(buffer: Buffer, start: number): { value: unknown; end: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", start);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[start]!);
  const line = buffer.toString("utf8", start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new Error(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: unknown[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, position);
        if (!item) return undefined;
        items.push(item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    default:
      throw new Error(`unexpected RESP type '${type}'`);
  }
}
