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
}

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
  const start = async () => {
    if (server) return;
    const next = new S3rver(options);
    await next.run();
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
