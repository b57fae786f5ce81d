import { createHmac, randomBytes } from "node:crypto";
import { pack } from "tar-stream";
import { docker, dockerOk } from "./docker";
import { issueServerCertificate } from "./localSecrets";
import { waitFor } from "./wait";

/**
 * A stand-in for AWS STS's AssumeRoleWithWebIdentity and for the cluster's ServiceAccount token
 * issuer, so that a plan whose pods assume roles runs locally exactly as rendered:
 *
 * - the issuer signs each pod's token (a JWT for STS's audience, whose subject is the pod's
 *   ServiceAccount) as kubelet would project it;
 * - STS answers on port 443 as `sts.amazonaws.com` (where pgBackRest 2.45 always asks) and as
 *   `sts.<region>.amazonaws.com` (where the aws CLI asks), over TLS from a local CA, and grants a
 *   role only to a token it signed, unexpired, for its audience, whose subject is the one
 *   ServiceAccount the role trusts: the trust policy drkit gives each role.
 *
 * What it grants is the local S3 endpoint's key pair with a session token: permissions are
 * judged by the IAM evaluator against the rendered policies, not here. Every request is logged
 * (role, subject, granted) for a test to read.
 */
export interface LocalSts {
  /** The ARN of the role ServiceAccount `serviceAccount` may assume. */
  roleArn(serviceAccount: string): string;
  /** A token of the ServiceAccount, as kubelet projects it for STS's audience. */
  token(serviceAccount: string): string;
  /** The CA STS's certificate chains to: the clients' trust, a local substitution. */
  ca: string;
  /** Every AssumeRoleWithWebIdentity request so far. */
  requests(): Promise<StsRequest[]>;
}

export interface StsRequest {
  role: string;
  subject: string | null;
  granted: boolean;
  reason: string;
}

export interface LocalStsOptions {
  runId: string;
  network: string;
  /** An image with python3 (drkit's jobs image has it, for the aws CLI). */
  image: string;
  namespace: string;
  /** The ServiceAccounts whose pods assume roles. */
  serviceAccounts: string[];
  /** The AWS regions the workloads' aws CLI asks STS in. */
  regions: string[];
  /** What a granted role gets: the local endpoint's key pair. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The audience tokens are for. */
  audience: string;
  /** How long a token lives (the projected volume's expirationSeconds). */
  tokenSeconds: number;
}

const ACCOUNT = "000000000000";

/** The STS in Python's standard library: the jobs image has python3 and nothing else to serve with. */
const SERVER = String.raw`
import base64, datetime, hashlib, hmac, http.server, json, secrets, ssl, time, urllib.parse
conf = json.load(open("/sts/config.json"))
def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def judge(q):
    if q.get("Action") != "AssumeRoleWithWebIdentity":
        return None, "action " + str(q.get("Action"))
    try:
        head, body, sig = q.get("WebIdentityToken", "").split(".")
    except ValueError:
        return None, "no token"
    want = base64.urlsafe_b64encode(hmac.new(conf["key"].encode(), (head + "." + body).encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    if not hmac.compare_digest(sig, want):
        return None, "token not signed by the issuer"
    claims = json.loads(unb64(body))
    sub = claims.get("sub")
    aud = claims.get("aud")
    if conf["audience"] not in (aud if isinstance(aud, list) else [aud]):
        return sub, "audience " + str(aud)
    if claims.get("exp", 0) < time.time():
        return sub, "token expired"
    trusted = conf["roles"].get(q.get("RoleArn", ""))
    if trusted is None:
        return sub, "no such role"
    if trusted != sub:
        return sub, "role trusts " + trusted
    return sub, ""
class Sts(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer(urllib.parse.urlparse(self.path).query)
    def do_POST(self):
        self.answer(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
    def answer(self, query):
        q = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
        sub, reason = judge(q)
        print(json.dumps({"role": q.get("RoleArn", ""), "subject": sub, "granted": reason == "", "reason": reason}), flush=True)
        if reason:
            body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity: " + reason + "</Message></Error></ErrorResponse>"
            status = 403
        else:
            expires = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            name = q["RoleArn"].split("/")[-1]
            session = q.get("RoleSessionName", "session")
            body = ("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult>"
                "<SubjectFromWebIdentityToken>" + sub + "</SubjectFromWebIdentityToken><Audience>" + conf["audience"] + "</Audience>"
                "<AssumedRoleUser><Arn>arn:aws:sts::" + conf["account"] + ":assumed-role/" + name + "/" + session + "</Arn><AssumedRoleId>AROALOCAL:" + session + "</AssumedRoleId></AssumedRoleUser>"
                "<Credentials><AccessKeyId>" + conf["accessKeyId"] + "</AccessKeyId><SecretAccessKey>" + conf["secretAccessKey"] + "</SecretAccessKey>"
                "<SessionToken>" + secrets.token_urlsafe(32) + "</SessionToken><Expiration>" + expires + "</Expiration></Credentials>"
                "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>" + secrets.token_hex(8) + "</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>")
            status = 200
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("0.0.0.0", 443), Sts)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain("/sts/tls.crt", "/sts/tls.key")
server.socket = context.wrap_socket(server.socket, server_side=True)
print(json.dumps({"listening": True}), flush=True)
server.serve_forever()
`;

const base64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** Starts the local STS on the run's network and returns the issuer's and STS's handles. */
export async function startLocalSts(options: LocalStsOptions): Promise<LocalSts> {
  const key = randomBytes(32).toString("hex");
  const subject = (serviceAccount: string) => `system:serviceaccount:${options.namespace}:${serviceAccount}`;
  const roleArn = (serviceAccount: string) => `arn:aws:iam::${ACCOUNT}:role/drkit/${serviceAccount}`;
  const names = ["sts.amazonaws.com", ...[...new Set(options.regions)].map((region) => `sts.${region}.amazonaws.com`)];
  const tls = issueServerCertificate("drkit local STS CA", names);
  const config = {
    key,
    audience: options.audience,
    account: ACCOUNT,
    accessKeyId: options.credentials.accessKeyId,
    secretAccessKey: options.credentials.secretAccessKey,
    roles: Object.fromEntries(options.serviceAccounts.map((sa) => [roleArn(sa), subject(sa)])),
  };
  const label = ["--label", `drkit.run=${options.runId}`];
  const volume = `${options.runId}-sts`;
  await dockerOk(["volume", "create", ...label, volume]);
  const archive = pack();
  archive.entry({ name: "config.json", mode: 0o400 }, JSON.stringify(config));
  archive.entry({ name: "tls.crt", mode: 0o400 }, tls.server["tls.crt"]);
  archive.entry({ name: "tls.key", mode: 0o400 }, tls.server["tls.key"]);
  archive.entry({ name: "server.py", mode: 0o400 }, SERVER);
  archive.finalize();
  await dockerOk(["run", "--rm", "-i", ...label, "--network", "none", "--user", "0:0", "--mount", `type=volume,src=${volume},dst=/sts`, "--entrypoint", "tar", options.image, "-x", "-C", "/sts"], { input: archive });
  const container = `${options.runId}-sts`;
  await dockerOk([
    "run", "-d", "--name", container, ...label, "--network", options.network, ...names.flatMap((name) => ["--network-alias", name]),
    // Root for port 443 alone: every other capability dropped, the root filesystem read-only.
    "--user", "0:0", "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--read-only",
    "--mount", `type=volume,src=${volume},dst=/sts,readonly`, "--entrypoint", "python3", options.image, "/sts/server.py",
  ]);
  const lines = async () => (await docker(["logs", container])).stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  await waitFor("the local STS to listen", async () => (await lines()).some((line) => line.listening === true), 30_000, 200);
  return {
    roleArn,
    ca: tls.ca,
    token(serviceAccount) {
      const now = Math.floor(Date.now() / 1000);
      const head = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
      const body = base64url(JSON.stringify({ iss: "https://oidc.drkit.local", sub: subject(serviceAccount), aud: [options.audience], iat: now, exp: now + options.tokenSeconds }));
      const signature = createHmac("sha256", key).update(`${head}.${body}`).digest("base64url");
      return `${head}.${body}.${signature}`;
    },
    async requests() {
      return (await lines()).filter((line) => "role" in line) as unknown as StsRequest[];
    },
  };
}
