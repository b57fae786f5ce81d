import { describe, expect, it } from "vitest";
import { ransomwarePosture } from "../../components/config";
import { merge, minimalDrill, minimalPrimary, specOf } from "./fixtures";

/** drkit review's one line on who could destroy the backups, for each way a bucket is kept. */
describe("the ransomware posture", () => {
  const posture = (patch: Record<string, unknown>, base = minimalPrimary()) => ransomwarePosture(specOf(merge(base, patch)));

  it("says an admin role can delete everything without Object Lock, and what would stop it", () => {
    const line = posture({});
    expect(line).toMatch(/^a compromised admin role, or the identity running pulumi up .*, can delete every backup; workload keys cannot remove history\. Object Lock in COMPLIANCE mode, or a vault .*, would stop it$/);
  });

  it("says GOVERNANCE can be bypassed, and that a replica in the same account falls with it", () => {
    const line = posture({ storage: { objectLock: { mode: "GOVERNANCE", retention: "14d" }, replication: { bucket: "acme-replica", region: "eu-west-1" } } });
    expect(line).toContain("can bypass GOVERNANCE retention and delete every backup, the replica too (it is in the same account)");
  });

  it("says no one can delete what COMPLIANCE retention holds, and for how long", () => {
    expect(posture({ storage: { objectLock: { mode: "COMPLIANCE", retention: "30d" } } })).toBe(
      "no one, the account's root included, can delete a backup version younger than 30d (Object Lock COMPLIANCE); older versions only the admin role can remove",
    );
  });

  it("says a vault in another account is out of the primary's reach, whatever the primary bucket's own lock", () => {
    const vault = { deployRoleArn: "arn:aws:iam::210987654321:role/vault-deployer", breakGlassRoleArn: "arn:aws:iam::210987654321:role/vault-break-glass", retention: "14d" };
    const line = posture({ storage: { replication: { bucket: "acme-vault", region: "eu-west-1", vault } } });
    expect(line).toMatch(/^a compromised admin role, .* can delete every backup in the primary bucket; workload keys cannot remove history; the vault in account 210987654321 is out of the primary's reach: no one, its root included, can delete a replica younger than 14d \(COMPLIANCE\), and only its break-glass role can delete its key$/);
    expect(posture({ storage: { objectLock: { mode: "COMPLIANCE", retention: "7d" }, replication: { bucket: "acme-vault", region: "eu-west-1", vault } } })).toMatch(/^no one, .* younger than 7d \(Object Lock COMPLIANCE\); older versions only the admin role can remove; the vault in account 210987654321/);
  });

  it("says a Spaces bucket keeps nothing from a key holder, and a drill's nothing anyone relies on", () => {
    expect(posture({ storage: { provider: "digitalocean" }, region: "fra1", cluster: { workloadIdentity: undefined } })).toMatch(/^a compromised account, or a Spaces key with write access to the bucket, can delete every backup/);
    expect(posture({}, minimalDrill())).toBe("a drill's bucket is disposable: it keeps nothing anyone relies on");
  });
});
