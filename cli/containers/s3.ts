import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { freePort } from "./wait";

interface S3rverInstance {
  run(): Promise<unknown>;
  httpServer?: import("node:https").Server;
}

/** A local S3 endpoint over TLS (s3rver): the one substitution a local run of a plan makes. */
export interface LocalS3 {
  /** The address it listens on. */
  host: string;
  port: number;
  /** s3rver's fixed credentials. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Where the objects are stored on disk (bucket/key). */
  directory: string;
  /** Stops serving (the data stays); `start` serves it again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * Injects a fault into every request until called with `undefined`: an error status answered
   * at once (S3's 503 SlowDown, a 500), or a delay before the request is served.
   */
  fault(fault: S3Fault | undefined): void;
}

/** What the endpoint does to each request while a fault is set. */
export type S3Fault = { status: 500 | 503 } | { delayMs: number };

const FAULT_BODY = (status: number) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${status === 503 ? "SlowDown" : "InternalError"}</Code><Message>injected by the test</Message></Error>`;

/**
 * Starts s3rver over TLS with a fresh self-signed certificate, with the given buckets. The
 * certificate is for 127.0.0.1; clients connect with TLS verification off (a local endpoint
 * only: the rendered cloud configs always verify).
 */
export async function startLocalS3(root: string, buckets: string[], address = "127.0.0.1"): Promise<LocalS3> {
  const tls = join(root, "tls");
  const directory = join(root, "objects");
  mkdirSync(tls, { recursive: true });
  mkdirSync(directory, { recursive: true });
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-keyout", join(tls, "key.pem"), "-out", join(tls, "cert.pem"),
    "-subj", `/CN=${address}`, "-addext", `subjectAltName=IP:${address}`,
  ], { stdio: ["ignore", "ignore", "pipe"] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require("s3rver") as new (options: Record<string, unknown>) => S3rverInstance;
  const port = await freePort(address);
  const options = {
    address,
    port,
    silent: true,
    directory,
    key: readFileSync(join(tls, "key.pem")),
    cert: readFileSync(join(tls, "cert.pem")),
    configureBuckets: buckets.map((name) => ({ name })),
  };
  let server: S3rverInstance | undefined;
  let fault: S3Fault | undefined;
  const start = async () => {
    if (server) return;
    const next = new S3rver(options);
    await next.run();
    // Every request passes the fault first: s3rver's own handlers run only when it lets it through.
    const http = next.httpServer!;
    const handlers = http.listeners("request") as ((request: import("node:http").IncomingMessage, response: import("node:http").ServerResponse) => void)[];
    http.removeAllListeners("request");
    http.on("request", (request: import("node:http").IncomingMessage, response: import("node:http").ServerResponse) => {
      const now = fault;
      if (now && "status" in now) {
        request.resume();
        response.writeHead(now.status, { "content-type": "application/xml" }).end(FAULT_BODY(now.status));
        return;
      }
      const serve = () => {
        for (const handler of handlers) handler.call(http, request, response);
      };
      if (now) setTimeout(serve, now.delayMs);
      else serve();
    });
    server = next;
  };
  await start();
  return {
    host: address,
    port,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    directory,
    start,
    fault(next) {
      fault = next;
    },
    async stop() {
      const http = server?.httpServer;
      server = undefined;
      if (!http) return;
      // close() alone waits for every keep-alive connection (pgBackRest keeps them) to end.
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

/** Removes a local endpoint's files. */
export function removeLocalS3(root: string): void {
  rmSync(root, { recursive: true, force: true });
}
