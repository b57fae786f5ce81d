import { describe, expect, it } from "vitest";
import { checkConfig } from "../../components/config";
import { merge, minimalPrimary, paths } from "./fixtures";

const review = (patch: Record<string, any>) => {
  const result = checkConfig(merge(minimalPrimary(), patch), { stack: "prod" });
  return result.ok ? result.warnings : result.problems;
};
const lifecycle = (rules: Record<string, any>, extra: Record<string, any> = {}) => merge({ storage: { lifecycle: rules } }, extra);
const t = (after: string, storageClass: string) => ({ after, storageClass });
const vault = (settings: Record<string, any>, extra: Record<string, any> = {}) =>
  merge(
    {
      storage: {
        replication: {
          region: "eu-west-1",
          bucket: "acme-dr-vault",
          vault: { deployRoleArn: "arn:aws:iam::210987654321:role/vault-deployer", breakGlassRoleArn: "arn:aws:iam::210987654321:role/vault-break-glass", retention: "14d", ...settings },
        },
      },
    },
    extra,
  );
const L = "drkit:storage.lifecycle";

type Case = { name: string; patch: Record<string, any>; errors?: string[]; warnings?: string[] };

const CASES: Case[] = [
  // accepted
  { name: "the defaults", patch: {} },
  { name: "Glacier IR at 30 d, Deep Archive at 120 d, explicit size threshold", patch: lifecycle({ dumps: { transitions: [t("30d", "GLACIER_IR"), t("120d", "DEEP_ARCHIVE")], minObjectSize: "128Ki" } }) },
  { name: "Standard-IA at 30 d, Glacier 30 d later", patch: lifecycle({ dumps: { transitions: [t("30d", "STANDARD_IA"), t("60d", "GLACIER")], minObjectSize: "128Ki" } }), warnings: [] },
  { name: "media versions to Glacier IR within a 4 h RTO", patch: lifecycle({ media: { noncurrentTransitions: [t("30d", "GLACIER_IR")], noncurrentExpiration: "180d", minObjectSize: "128Ki" } }) },

  // S3 would reject these
  { name: "Standard-IA before 30 days", patch: lifecycle({ dumps: { transitions: [t("20d", "STANDARD_IA")], minObjectSize: "1Mi" } }), errors: [`${L}.dumps.transitions[0].after`] },
  { name: "noncurrent One Zone-IA before 30 days", patch: lifecycle({ media: { noncurrentTransitions: [t("10d", "ONEZONE_IA")], minObjectSize: "1Mi" } }), errors: [`${L}.media.noncurrentTransitions[0].after`] },
  { name: "a transition up the waterfall", patch: lifecycle({ dumps: { transitions: [t("30d", "GLACIER"), t("200d", "STANDARD_IA")], minObjectSize: "1Mi" } }), errors: [`${L}.dumps.transitions[1].storageClass`] },
  { name: "One Zone-IA to Glacier IR", patch: lifecycle({ dumps: { transitions: [t("30d", "ONEZONE_IA"), t("90d", "GLACIER_IR")], minObjectSize: "1Mi" } }), errors: [`${L}.dumps.transitions[1].storageClass`] },
  { name: "Glacier 15 days after Standard-IA", patch: lifecycle({ dumps: { transitions: [t("30d", "STANDARD_IA"), t("45d", "GLACIER")], minObjectSize: "1Mi" } }), errors: [`${L}.dumps.transitions[1].after`], warnings: [`${L}.dumps.transitions[1].after`] },
  { name: "transitions out of order", patch: lifecycle({ dumps: { transitions: [t("90d", "GLACIER_IR"), t("60d", "DEEP_ARCHIVE")], minObjectSize: "1Mi" } }), errors: [`${L}.dumps.transitions[1].after`], warnings: [`${L}.dumps.transitions[1].after`] },
  { name: "expiration before the last transition", patch: lifecycle({ dumps: { transitions: [t("90d", "GLACIER_IR")], expiration: "60d", minObjectSize: "1Mi" } }, { postgres: { dumps: { retention: "30d", keepLast: 2 } } }), errors: [`${L}.dumps.expiration`], warnings: [`${L}.dumps.expiration`] },
  { name: "expiredObjectDeleteMarker with days", patch: lifecycle({ redis: { expiration: "30d", expiredObjectDeleteMarker: true } }), errors: [`${L}.redis.expiredObjectDeleteMarker`], warnings: [`${L}.redis.expiration`] },
  { name: "noncurrent expiration before the noncurrent transition", patch: lifecycle({ media: { noncurrentTransitions: [t("60d", "STANDARD_IA")], noncurrentExpiration: "45d", minObjectSize: "1Mi" } }), errors: [`${L}.media.noncurrentExpiration`] },

  // restores would break
  { name: "pgBackRest's repository transitioned", patch: lifecycle({ pgbackrest: { transitions: [t("30d", "GLACIER_IR")], minObjectSize: "1Mi" } }), errors: [`${L}.pgbackrest.transitions`] },
  { name: "pgBackRest's repository expired", patch: lifecycle({ pgbackrest: { expiration: "30d" } }), errors: [`${L}.pgbackrest.expiration`] },
  { name: "pgBackRest's old versions transitioned", patch: lifecycle({ pgbackrest: { noncurrentTransitions: [t("30d", "STANDARD_IA")], noncurrentExpiration: "90d", minObjectSize: "1Mi" } }), errors: [`${L}.pgbackrest.noncurrentTransitions`] },
  { name: "pgBackRest's old versions kept forever", patch: lifecycle({ pgbackrest: { noncurrentExpiration: null } }), warnings: [`${L}.pgbackrest.noncurrentExpiration`] },
  { name: "Redis snapshots transitioned", patch: lifecycle({ redis: { transitions: [t("30d", "STANDARD_IA")], minObjectSize: "1Mi" } }), errors: [`${L}.redis.transitions`] },
  { name: "Redis snapshots expired before the job's window", patch: merge(lifecycle({ redis: { expiration: "1d" } }), { objectives: { redis: { rpo: "3h" } }, redis: { snapshots: { interval: "1h", keep: 48 } } }), errors: [`${L}.redis.expiration`] },
  { name: "Redis snapshots expired by age", patch: lifecycle({ redis: { expiration: "30d" } }), warnings: [`${L}.redis.expiration`] },
  { name: "dumps expired before their retention", patch: lifecycle({ dumps: { transitions: [], expiration: "90d" } }, { postgres: { dumps: { retention: "365d" } } }), errors: [`${L}.dumps.expiration`] },
  { name: "dumps expired after their retention", patch: lifecycle({ dumps: { expiration: "400d", minObjectSize: "1Mi" } }), warnings: [`${L}.dumps.expiration`] },
  { name: "media in Glacier beyond a 4 h RTO", patch: lifecycle({ media: { transitions: [t("30d", "GLACIER")], minObjectSize: "1Mi" } }), errors: [`${L}.media.transitions[0].storageClass`] },
  { name: "media versions in Deep Archive beyond a 4 h RTO", patch: lifecycle({ media: { noncurrentTransitions: [t("30d", "DEEP_ARCHIVE")], noncurrentExpiration: "400d", minObjectSize: "1Mi" } }), errors: [`${L}.media.noncurrentTransitions[0].storageClass`] },
  { name: "media in Glacier within a relaxed 1-day RTO", patch: merge(lifecycle({ media: { transitions: [t("30d", "GLACIER")], minObjectSize: "1Mi" } }), { objectives: { media: { rpo: "1d", rto: "1d" } } }) },
  // a lock longer than any backup is kept: one problem on the lock, not one per class whose fix repeats it
  { name: "a hundred years of COMPLIANCE lock", patch: { storage: { objectLock: { mode: "COMPLIANCE", retention: "36500d" } } }, errors: ["drkit:storage.objectLock.retention"] },
  { name: "a hundred years of GOVERNANCE lock", patch: { storage: { objectLock: { mode: "GOVERNANCE", retention: "36500d" } } }, warnings: ["drkit:storage.objectLock.retention"] },
  { name: "a lock as long as the dumps are kept", patch: { storage: { objectLock: { mode: "COMPLIANCE", retention: "365d" } } } },
  { name: "noncurrent versions expire while locked", patch: lifecycle({ redis: { noncurrentExpiration: "7d" } }, { storage: { objectLock: { mode: "GOVERNANCE", retention: "14d" } } }), errors: [`${L}.redis.noncurrentExpiration`] },

  // a vault in another account
  { name: "a vault in its own account", patch: vault({}) },
  { name: "a vault whose break-glass role is in a third account", patch: vault({ breakGlassRoleArn: "arn:aws:iam::333333333333:role/break-glass" }), errors: ["drkit:storage.replication.vault.breakGlassRoleArn"] },
  { name: "a vault in the primary's own account", patch: vault({}, { storage: { adminRoleArn: "arn:aws:iam::210987654321:role/backup-admin" } }), errors: ["drkit:storage.replication.vault.deployRoleArn"] },
  { name: "a vault behind a GOVERNANCE source (replicas keep GOVERNANCE)", patch: vault({}, { storage: { objectLock: { mode: "GOVERNANCE", retention: "14d" } } }), warnings: ["drkit:storage.objectLock.mode"] },
  { name: "a vault behind a COMPLIANCE source", patch: vault({}, { storage: { objectLock: { mode: "COMPLIANCE", retention: "14d" } } }) },
  { name: "a vault locked longer than any backup is kept", patch: vault({ retention: "36500d" }), errors: ["drkit:storage.replication.vault.retention"] },
  { name: "replicas expiring while the vault still locks them", patch: vault({ retention: "21d" }, lifecycle({ redis: { noncurrentExpiration: "14d" } })), errors: [`${L}.redis.noncurrentExpiration`] },

  // costs to know about
  { name: "leaving Glacier IR before its 90-day minimum", patch: lifecycle({ dumps: { transitions: [t("30d", "GLACIER_IR"), t("60d", "DEEP_ARCHIVE")], minObjectSize: "1Mi" } }), warnings: [`${L}.dumps.transitions[1].after`] },
  { name: "expiring from Glacier before its 90-day minimum", patch: lifecycle({ dumps: { transitions: [t("30d", "GLACIER")], expiration: "400d", minObjectSize: "1Mi" } }, { postgres: { dumps: { retention: "400d" } } }), warnings: [`${L}.dumps.expiration`] },
  { name: "Deep Archive versions expiring within 180 days", patch: merge(lifecycle({ media: { noncurrentTransitions: [t("30d", "DEEP_ARCHIVE")], noncurrentExpiration: "100d", minObjectSize: "1Mi" } }), { objectives: { media: { rpo: "1d", rto: "2d" } } }), warnings: [`${L}.media.noncurrentExpiration`] },
  { name: "small objects that will not transition", patch: lifecycle({ dumps: { transitions: [t("30d", "GLACIER_IR")] } }), warnings: [`${L}.dumps.minObjectSize`] },
  { name: "a bucket name too long for its log bucket", patch: { storage: { bucket: `a${"b".repeat(59)}z` } }, errors: ["drkit:storage.bucket"] },
  { name: "a long bucket name without access logs", patch: { storage: { bucket: `a${"b".repeat(59)}z`, accessLogs: false } } },
  { name: "a replica name too long for its log bucket", patch: { storage: { replication: { region: "eu-west-1", bucket: `a${"b".repeat(59)}z` } } }, errors: ["drkit:storage.replication.bucket"] },
];

describe("the storage review", () => {
  it.each(CASES)("$name", ({ patch, errors = [], warnings = [] }) => {
    const problems = review(patch);
    expect(paths(problems, "error")).toEqual(errors);
    expect(paths(problems, "warning")).toEqual(warnings);
  });

  it("explains a broken restore in one line with the fix", () => {
    const [problem] = review(lifecycle({ media: { transitions: [t("30d", "DEEP_ARCHIVE")], minObjectSize: "1Mi" } }));
    expect(problem).toEqual({
      path: `${L}.media.transitions[0].storageClass`,
      message: "DEEP_ARCHIVE takes up to 12 hours (standard), 48 hours (bulk) to retrieve, longer than the media RTO of 4h",
      hint: "use STANDARD_IA or GLACIER_IR (millisecond retrieval), or relax the RTO",
      severity: "error",
    });
  });
});
