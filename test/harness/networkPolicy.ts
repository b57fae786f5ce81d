/**
 * A small Kubernetes NetworkPolicy evaluator for tests, after the API's semantics: a pod is
 * isolated for ingress (egress) when some policy in its namespace selects it with that policy
 * type; an isolated pod admits (sends) only what a rule of one of those policies matches, peer
 * and port; a connection happens only when the source may send and the destination may admit.
 * Peers: a podSelector alone means pods of the policy's namespace, a namespaceSelector alone
 * every pod of the selected namespaces, both together the selected pods there; an ipBlock
 * matches addresses outside the cluster (pods are not matched by address here).
 */
export interface Pod {
  namespace: string;
  labels: Record<string, string>;
}

/** An address outside the cluster (an S3 endpoint, the internet). */
export interface External {
  ip: string;
}

export interface Policy {
  metadata: { namespace: string };
  spec: {
    podSelector: Selector;
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: Rule[];
    egress?: Rule[];
  };
}

interface Selector {
  matchLabels?: Record<string, string>;
}

interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { protocol?: string; port: number }[];
}

const selects = (selector: Selector | undefined, labels: Record<string, string>) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
const namespaceLabels = (namespace: string) => ({ "kubernetes.io/metadata.name": namespace });

function peerMatches(peer: Peer, policyNamespace: string, other: Pod | External): boolean {
  if ("ip" in other) return peer.ipBlock !== undefined && inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c));
  if (peer.ipBlock) return false;
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaceLabels(other.namespace)) : other.namespace === policyNamespace;
  return namespaceOk && (peer.podSelector ? selects(peer.podSelector, other.labels) : true);
}

function ruleMatches(rule: Rule, peers: Peer[] | undefined, policyNamespace: string, other: Pod | External, port: number, protocol: string): boolean {
  const portOk = !rule.ports || rule.ports.length === 0 || rule.ports.some((p) => p.port === port && (p.protocol ?? "TCP") === protocol);
  const peerOk = !peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, policyNamespace, other));
  return portOk && peerOk;
}

/** Whether `pod` may send to `to` on `port` by the policies of its namespace. */
function mayLeave(policies: Policy[], pod: Pod, to: Pod | External, port: number, protocol: string): boolean {
  const selecting = policies.filter((p) => p.metadata.namespace === pod.namespace && p.spec.policyTypes.includes("Egress") && selects(p.spec.podSelector, pod.labels));
  if (selecting.length === 0) return true;
  return selecting.some((p) => (p.spec.egress ?? []).some((rule) => ruleMatches(rule, rule.to, p.metadata.namespace, to, port, protocol)));
}

/** Whether `pod` may be reached from `from` on `port` by the policies of its namespace. */
function mayEnter(policies: Policy[], pod: Pod, from: Pod, port: number, protocol: string): boolean {
  const selecting = policies.filter((p) => p.metadata.namespace === pod.namespace && p.spec.policyTypes.includes("Ingress") && selects(p.spec.podSelector, pod.labels));
  if (selecting.length === 0) return true;
  return selecting.some((p) => (p.spec.ingress ?? []).some((rule) => ruleMatches(rule, rule.from, p.metadata.namespace, from, port, protocol)));
}

/** Whether a connection from `from` to `to` on `port` is allowed by every policy involved. */
export function connects(policies: Policy[], from: Pod, to: Pod | External, port: number, protocol = "TCP"): boolean {
  return mayLeave(policies, from, to, port, protocol) && ("ip" in to || mayEnter(policies, to, from, port, protocol));
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/") as [string, string];
  if (ip.includes(":") !== base.includes(":")) return false;
  if (ip.includes(":")) return Number(bits) === 0;
  const toNumber = (address: string) => address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  const mask = Number(bits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(bits));
  return (toNumber(ip) & mask) >>> 0 === (toNumber(base) & mask) >>> 0;
}
