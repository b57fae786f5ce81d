import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderRedisAcl } from "../../components/redis/redisConf";
import type { DrSpec } from "../../components/config";
import { BACKUP_CLIENT_NAME } from "../../components/postgres/pgbackrestConf";
import type { SecretValue } from "../../components/workloads/plan";

export interface LocalSecretOptions {
  /** The spec whose Redis ACL is rendered. */
  spec: DrSpec;
  /** The local S3 endpoint's one key pair stands in for every identity. */
  s3: { accessKeyId: string; secretAccessKey: string };
  /** Repository passphrases: this stack's own, and the source's (a drill's primary). */
  cipher: { own: string; source?: string };
  /** DNS names the pgBackRest server certificate is for. */
  serverNames: string[];
  /** Names Redis's certificate is for (`redisServerNames`). @default none: no Redis TLS material */
  redisNames?: { dnsNames: string[]; ipAddresses: string[] };
}

/**
 * The values a cluster's Pulumi program would generate (random passwords, mTLS certificates from
 * @pulumi/tls, the storage identities' keys), made locally for a run of the plan: passwords
 * random, certificates from openssl with the same subjects and uses, every S3 identity the local
 * endpoint's key pair.
 */
export function localSecretValues(options: LocalSecretOptions): (value: SecretValue) => string {
  const passwords = new Map<string, string>();
  const password = (id: string) => {
    if (!passwords.has(id)) passwords.set(id, randomBytes(24).toString("base64url").replace(/[^A-Za-z0-9]/g, "x"));
    return passwords.get(id)!;
  };
  const tls = issueCertificates(options.serverNames);
  const redisNames = options.redisNames;
  const redisTls = redisNames ? issueRedisCertificates(redisNames) : undefined;
  return (value) => {
    switch (value.kind) {
      case "password":
        return password(value.id);
      case "redisAcl":
        return renderRedisAcl(options.spec, password(value.passwordId));
      case "s3Key":
        return value.part === "id" ? options.s3.accessKeyId : options.s3.secretAccessKey;
      case "cipher":
        if (value.repository === "own") return options.cipher.own;
        if (!options.cipher.source) throw new Error("the plan reads the source repository's passphrase, and none was given");
        return options.cipher.source;
      case "tls":
        return value.part === "ca.crt" ? tls.ca : tls[value.peer][value.part];
      case "redisTls":
        if (!redisTls) throw new Error("the plan reads Redis's TLS material, and no names were given for its certificate");
        return value.part === "ca.crt" ? redisTls.ca : redisTls.server[value.part];
    }
  };
}

/** Passwords the plan uses, by id, for a test or the drill to log in with. */
export function passwordOf(secretValue: (value: SecretValue) => string, id: string): string {
  return secretValue({ kind: "password", id });
}

interface Certificates {
  ca: string;
  server: { "tls.crt": string; "tls.key": string };
  client: { "tls.crt": string; "tls.key": string };
}

/** A CA, the pgBackRest server's certificate for `serverNames` and the backup client's, as PostgresCluster issues them. */
function issueCertificates(serverNames: string[]): Certificates {
  return withAuthority("drkit local pgBackRest CA", (issue) => ({
    server: issue("server", `/CN=${serverNames[0]}`, `subjectAltName=${serverNames.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`),
    client: issue("client", `/CN=${BACKUP_CLIENT_NAME}`, "extendedKeyUsage=clientAuth\n"),
  }));
}

/** A CA and Redis's server certificate for its names, as RedisServer issues them. */
function issueRedisCertificates(names: { dnsNames: string[]; ipAddresses: string[] }): { ca: string; server: { "tls.crt": string; "tls.key": string } } {
  const alternatives = [...names.dnsNames.map((n) => `DNS:${n}`), ...names.ipAddresses.map((ip) => `IP:${ip}`)].join(",");
  return withAuthority("drkit local Redis CA", (issue) => ({ server: issue("server", `/CN=${names.dnsNames[0]}`, `subjectAltName=${alternatives}\nextendedKeyUsage=serverAuth\n`) }));
}

/** A CA and a server certificate for `dnsNames` (a local stand-in for a public endpoint, such as STS). */
export function issueServerCertificate(commonName: string, dnsNames: string[]): { ca: string; server: { "tls.crt": string; "tls.key": string } } {
  return withAuthority(commonName, (issue) => ({ server: issue("server", `/CN=${dnsNames[0]}`, `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`) }));
}

type Issue = (name: string, subject: string, extensions: string) => { "tls.crt": string; "tls.key": string };

/** A throwaway CA made with openssl (ECDSA P-256, 7 days) and the pairs `pairs` signs with it. */
function withAuthority<T extends object>(commonName: string, pairs: (issue: Issue) => T): T & { ca: string } {
  const dir = mkdtempSync(join(tmpdir(), "drkit-tls-"));
  try {
    const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(["req", "-x509", ...ec, "-days", "7", "-subj", `/CN=${commonName}`, "-keyout", "ca.key", "-out", "ca.crt"]);
    const issue: Issue = (name, subject, extensions) => {
      openssl(["req", ...ec, "-subj", subject, "-keyout", `${name}.key`, "-out", `${name}.csr`]);
      writeFileSync(join(dir, `${name}.ext`), extensions);
      openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "7", "-extfile", `${name}.ext`, "-out", `${name}.crt`]);
      return { "tls.crt": readFileSync(join(dir, `${name}.crt`), "utf8"), "tls.key": readFileSync(join(dir, `${name}.key`), "utf8") };
    };
    return { ...pairs(issue), ca: readFileSync(join(dir, "ca.crt"), "utf8") };
  } catch (error) {
    throw new Error(`issuing the local certificates (${commonName}) with openssl failed: ${error instanceof Error ? error.message : String(error)}; install it with: apt-get install openssl`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
