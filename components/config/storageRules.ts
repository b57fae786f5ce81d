import { longestGap } from "./cron";
import { error, warning, type Problem } from "./problems";
import { accountOf } from "./arn";
import type { DataClass, DrSpec, LifecycleRule, ObjectLockSpec, Objective, Transition } from "./types";
import { DAY, formatDuration } from "./units";
import { dataClasses } from "../storage/lifecycle";
import { canTransition, SMALL_OBJECT_LIMIT, STORAGE_CLASS_FACTS } from "../storage/storageClasses";

/**
 * Every lifecycle that S3 would reject, or that would break a restore, as an error with the key
 * and a one-line reason; costs a reader should know about as warnings. Pure: reads the spec only.
 */
export function validateStorage(spec: DrSpec): Problem[] {
  const { storage } = spec;
  const lockProblem = objectLockProblem(spec);
  const vaultLockProblem = vaultRetentionProblem(spec);
  const problems: Problem[] = [...(lockProblem ? [lockProblem] : []), ...(vaultLockProblem ? [vaultLockProblem] : []), ...vaultProblems(spec)];
  // The replica has the source's lifecycle rules: a version expires in neither before either lock ends.
  const lockRetention = Math.max(storage.objectLock?.retention ?? 0, storage.replication?.vault?.retention ?? 0);
  for (const [name, rule] of dataClasses(storage)) {
    const at = (...rest: (string | number)[]) => ["storage", "lifecycle", name, ...rest];
    problems.push(...s3RuleProblems(rule, at));
    problems.push(...dataClassProblems(spec, name, rule, at));
    problems.push(...retrievalProblems(objectiveOf(spec, name), name, rule, at));

    // A lock longer than any data is kept is reported once, on its own key, not per class.
    if (lockRetention > 0 && !lockProblem && !vaultLockProblem) problems.push(...lockedVersionProblems(rule, lockRetention, at));
    if ((rule.transitions.length > 0 || rule.noncurrentTransitions.length > 0) && rule.minObjectSize === undefined) {
      problems.push(
        warning(
          at("minObjectSize"),
          `is not set: objects under ${SMALL_OBJECT_LIMIT / 1024} KiB (checksums, markers, small files) are not transitioned and stay in Standard`,
          "set it (e.g. '128Ki') to make the threshold explicit; expiration still applies to small objects",
        ),
      );
    }
  }
  if (storage.accessLogs && `${storage.bucket}-logs`.length > 63) {
    problems.push(error(["storage", "bucket"], `is too long for its log bucket '${storage.bucket}-logs' (63 characters at most)`, "shorten the bucket name, or turn accessLogs off"));
  }
  const replica = storage.replication?.bucket;
  if (storage.accessLogs && replica && `${replica}-logs`.length > 63) {
    problems.push(error(["storage", "replication", "bucket"], `is too long for the replica's log bucket '${replica}-logs' (63 characters at most)`, "shorten the replica's name, or turn accessLogs off"));
  }
  return problems;
}

/** Maps a key inside one lifecycle rule (`transitions`, 0, `after`) to its full key path. */
export type RulePath = (...rest: (string | number)[]) => (string | number)[];

/**
 * What S3 itself refuses, or bills beyond what the rule seems to say, in one lifecycle rule,
 * wherever the rule comes from: a stack file (drkit review) or any program's bucket (the policy
 * pack).
 */
export function s3RuleProblems(rule: LifecycleRule, at: RulePath): Problem[] {
  return [
    ...transitionProblems(rule.transitions, (i, key) => at("transitions", i, key), "current"),
    ...transitionProblems(rule.noncurrentTransitions, (i, key) => at("noncurrentTransitions", i, key), "noncurrent"),
    ...expirationProblems(rule, at),
  ];
}

/** Noncurrent versions set to expire while Object Lock still holds them. */
export function lockedVersionProblems(rule: LifecycleRule, lockRetention: number, at: RulePath): Problem[] {
  if (rule.noncurrentExpiration === undefined || rule.noncurrentExpiration >= lockRetention) return [];
  return [
    error(
      at("noncurrentExpiration"),
      `${formatDuration(rule.noncurrentExpiration)} is shorter than the Object Lock retention ${formatDuration(lockRetention)}`,
      `locked versions cannot be deleted before the lock ends: use at least ${formatDuration(lockRetention)}, or shorten the lock's retention`,
    ),
  ];
}

/** A rule over pgBackRest's repository: pgBackRest owns its retention, a restore reads every file it keeps. */
export function repositoryRuleProblems(rule: LifecycleRule, at: RulePath): Problem[] {
  const problems: Problem[] = [];
  const why = "pgBackRest owns this retention (repo1-retention-full/archive); a restore reads every file it keeps";
  if (rule.transitions.length > 0) problems.push(error(at("transitions"), "transitions pgBackRest's repository; archived files cannot be read by a restore", why));
  if (rule.expiration !== undefined) problems.push(error(at("expiration"), "expires files pgBackRest's repository still needs", why));
  if (rule.noncurrentTransitions.length > 0) problems.push(error(at("noncurrentTransitions"), "is not allowed under pgBackRest's repository", "keep only noncurrentExpiration and abortIncompleteMultipartUpload for this class"));
  return problems;
}

/** A rule over Redis snapshots: they are needed fast at a restore, so they stay in Standard. */
export function snapshotRuleProblems(rule: LifecycleRule, at: RulePath): Problem[] {
  if (rule.transitions.length === 0 && rule.noncurrentTransitions.length === 0) return [];
  const key = rule.transitions.length > 0 ? "transitions" : "noncurrentTransitions";
  return [error(at(key), "moves Redis snapshots out of Standard; they are needed fast at restore", "keep only expiration rules for this class")];
}

/**
 * The longest any backup is meant to be kept: the PITR window and the full backup it starts
 * from, the dumps' retention, the Redis snapshots kept, media's noncurrent versions.
 */
function longestRetention(spec: DrSpec): { seconds: number; what: string } {
  const { postgres, redis, storage } = spec;
  const candidates = [
    ...(postgres.enabled ? [{ seconds: postgres.backups.pitrWindow + longestGap(postgres.backups.full, spec.timeZone), what: "the PITR window and its full backup" }] : []),
    ...(postgres.enabled && postgres.dumps.enabled ? [{ seconds: postgres.dumps.retention, what: "the dumps' retention" }] : []),
    ...(redis.enabled && redis.snapshots.enabled ? [{ seconds: redis.snapshots.keep * redis.snapshots.interval, what: "the Redis snapshots kept" }] : []),
    ...(storage.lifecycle.media?.noncurrentExpiration !== undefined ? [{ seconds: storage.lifecycle.media.noncurrentExpiration, what: "media's noncurrent versions" }] : []),
  ];
  return candidates.reduce((a, b) => (b.seconds > a.seconds ? b : a));
}

/**
 * A lock longer than any data is kept (a year of COMPLIANCE for a week of PITR, or a hundred
 * years typed for a hundred days) keeps every version ever written, each WAL segment and
 * snapshot, billed until it ends; in COMPLIANCE mode nobody can shorten it or empty the bucket.
 */
function objectLockProblem(spec: DrSpec): Problem | undefined {
  const lock = spec.storage.objectLock;
  return lock && lockTooLong(spec, lock, ["storage", "objectLock", "retention"]);
}

/** The vault's COMPLIANCE lock, held to the same bound as the source's. */
function vaultRetentionProblem(spec: DrSpec): Problem | undefined {
  const vault = spec.storage.replication?.vault;
  return vault && lockTooLong(spec, { mode: "COMPLIANCE", retention: vault.retention }, ["storage", "replication", "vault", "retention"]);
}

function lockTooLong(spec: DrSpec, lock: ObjectLockSpec, path: string[]): Problem | undefined {
  const longest = longestRetention(spec);
  const bound = Math.ceil(longest.seconds / DAY) * DAY;
  if (lock.retention <= bound) return undefined;
  const message = `${formatDuration(lock.retention)} keeps every object version (each WAL segment, each snapshot) longer than any backup is kept (${formatDuration(longest.seconds)}: ${longest.what}), all of it billed until the lock ends`;
  const hint = `lock versions for as long as an attack could go unnoticed, at most ${formatDuration(bound)}`;
  return lock.mode === "COMPLIANCE"
    ? error(path, `${message}; in COMPLIANCE mode nobody, not even the account root, can shorten it or delete the bucket`, hint)
    : warning(path, message, hint);
}

/**
 * A vault is only out of the primary's reach if it is another account, whose break-glass role is
 * its own, and if the replicas are locked in COMPLIANCE: S3 copies each version's own retention
 * to its replica, so versions locked in GOVERNANCE at the source arrive in GOVERNANCE, which the
 * vault's administrators could bypass; only versions without a retention of their own take the
 * vault's COMPLIANCE default.
 */
function vaultProblems(spec: DrSpec): Problem[] {
  const { storage } = spec;
  const vault = storage.replication?.vault;
  if (!vault) return [];
  const at = (key: string) => ["storage", "replication", "vault", key];
  const account = accountOf(vault.deployRoleArn);
  const problems: Problem[] = [];
  if (accountOf(vault.breakGlassRoleArn) !== account) {
    problems.push(error(at("breakGlassRoleArn"), `is in account ${accountOf(vault.breakGlassRoleArn)}, the vault is account ${account} (deployRoleArn)`, "name the break-glass role of the vault's own account"));
  }
  if (storage.adminRoleArn && accountOf(storage.adminRoleArn) === account) {
    problems.push(
      error(at("deployRoleArn"), `is in account ${account}, the account of drkit:storage.adminRoleArn: the vault would fall with the primary`, "put the vault in a separate AWS account, with its own roles"),
    );
  }
  if (storage.objectLock?.mode === "GOVERNANCE") {
    problems.push(
      warning(
        ["storage", "objectLock", "mode"],
        "GOVERNANCE: replicas keep their source version's retention, so they reach the vault in GOVERNANCE, not the vault's COMPLIANCE",
        "use COMPLIANCE at the source too, or no Object Lock at the source (replicas then take the vault's COMPLIANCE default)",
      ),
    );
  }
  return problems;
}

/**
 * The objective whose RTO a data class's transitions must respect. pgBackRest's repository and
 * Redis snapshots may not transition at all (see dataClassProblems); logical dumps are the
 * long-term archive, not the path of a restore within an RTO (pgBackRest is), so their
 * retrieval time is a cost, not a broken objective. That leaves media.
 */
function objectiveOf(spec: DrSpec, name: DataClass): Objective | undefined {
  return name === "media" ? spec.objectives.media : undefined;
}

type At = (index: number, key: "after" | "storageClass") => (string | number)[];

function transitionProblems(transitions: Transition[], at: At, kind: "current" | "noncurrent"): Problem[] {
  const problems: Problem[] = [];
  const age = kind === "current" ? "old" : "noncurrent";
  let previous: Transition | undefined;
  let lastInfrequent: Transition | undefined;
  for (const [i, t] of transitions.entries()) {
    const facts = STORAGE_CLASS_FACTS[t.storageClass];
    if (facts.infrequentAccess && t.after < 30 * DAY) {
      problems.push(error(at(i, "after"), `moves objects to ${t.storageClass} at ${formatDuration(t.after)}; S3 requires at least 30 days ${age}`, "use '30d' or later"));
    }
    if (previous && t.after <= previous.after) {
      problems.push(error(at(i, "after"), `${formatDuration(t.after)} is not after the previous transition at ${formatDuration(previous.after)}`, "list transitions in increasing age"));
    }
    const from = previous?.storageClass ?? "STANDARD";
    if (!canTransition(from, t.storageClass)) {
      problems.push(
        error(at(i, "storageClass"), `${from} -> ${t.storageClass} is not a transition S3 supports`, "transitions only go down: STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE (not ONEZONE_IA -> GLACIER_IR)"),
      );
    }
    if (facts.archive && lastInfrequent && t.after - lastInfrequent.after < 30 * DAY) {
      problems.push(
        error(
          at(i, "after"),
          `moves to ${t.storageClass} ${formatDuration(t.after - lastInfrequent.after)} after ${lastInfrequent.storageClass}; S3 requires 30 days in between`,
          `use '${formatDuration(lastInfrequent.after + 30 * DAY)}' or later`,
        ),
      );
    }
    if (previous) problems.push(...minimumStorageWarning(previous, t.after, at(i, "after")));
    if (facts.infrequentAccess) lastInfrequent = t;
    previous = t;
  }
  return problems;
}

function minimumStorageWarning(from: Transition, leavesAt: number, path: (string | number)[]): Problem[] {
  const minimum = STORAGE_CLASS_FACTS[from.storageClass].minimumStorage;
  const stay = leavesAt - from.after;
  if (stay >= minimum) return [];
  return [
    warning(
      path,
      `objects leave ${from.storageClass} after ${formatDuration(stay)} but are billed its ${formatDuration(minimum)} minimum`,
      `keep them there at least ${formatDuration(minimum)}, or skip ${from.storageClass}`,
    ),
  ];
}

function expirationProblems(rule: LifecycleRule, at: RulePath): Problem[] {
  const problems: Problem[] = [];
  const last = rule.transitions.at(-1);
  if (rule.expiration !== undefined) {
    if (rule.expiredObjectDeleteMarker) {
      problems.push(error(at("expiredObjectDeleteMarker"), "cannot be combined with an expiration in days", "S3 removes expired delete markers itself after a days-based expiration: drop one of them"));
    }
    if (last && rule.expiration <= last.after) {
      problems.push(error(at("expiration"), `${formatDuration(rule.expiration)} is not later than the last transition at ${formatDuration(last.after)}`, "expire after the last transition, or remove the transition"));
    } else if (last) {
      problems.push(...minimumStorageWarning(last, rule.expiration, at("expiration")));
    }
  }
  const lastNoncurrent = rule.noncurrentTransitions.at(-1);
  if (rule.noncurrentExpiration !== undefined && lastNoncurrent) {
    if (rule.noncurrentExpiration <= lastNoncurrent.after) {
      problems.push(
        error(at("noncurrentExpiration"), `${formatDuration(rule.noncurrentExpiration)} is not later than the last noncurrent transition at ${formatDuration(lastNoncurrent.after)}`, "expire noncurrent versions after their last transition"),
      );
    } else {
      problems.push(...minimumStorageWarning(lastNoncurrent, rule.noncurrentExpiration, at("noncurrentExpiration")));
    }
  }
  return problems;
}

/** The rules of docs/architecture.md §4: what each data class's lifecycle may do. */
function dataClassProblems(spec: DrSpec, name: DataClass, rule: LifecycleRule, at: RulePath): Problem[] {
  const problems: Problem[] = [];
  if (name === "pgbackrest") {
    problems.push(...repositoryRuleProblems(rule, at));
    if (rule.noncurrentExpiration === undefined) {
      problems.push(warning(at("noncurrentExpiration"), "is off: files pgBackRest expired stay as noncurrent versions forever", "set e.g. '30d' (remove the null) to reclaim them"));
    }
  }
  if (name === "redis" && spec.redis.enabled && spec.redis.snapshots.enabled) {
    problems.push(...snapshotRuleProblems(rule, at));
    if (rule.expiration !== undefined) {
      const kept = spec.redis.snapshots.keep * spec.redis.snapshots.interval;
      if (rule.expiration < kept) {
        problems.push(error(at("expiration"), `${formatDuration(rule.expiration)} deletes snapshots the job keeps (${spec.redis.snapshots.keep} x ${formatDuration(spec.redis.snapshots.interval)})`, `remove it (the snapshot job prunes), or use at least ${formatDuration(Math.ceil(kept / DAY) * DAY)}`));
      } else {
        problems.push(warning(at("expiration"), "expires snapshots by age: if snapshots stop, it deletes the newest good one too", "remove it: the snapshot job keeps the newest N and never deletes the newest good snapshot"));
      }
    }
  }
  if (name === "dumps" && spec.postgres.enabled && spec.postgres.dumps.enabled && rule.expiration !== undefined) {
    const retention = spec.postgres.dumps.retention;
    if (rule.expiration < retention) {
      problems.push(error(at("expiration"), `${formatDuration(rule.expiration)} deletes dumps before drkit:postgres.dumps.retention (${formatDuration(retention)})`, "remove it: the dump job prunes by retention and keepLast"));
    } else {
      problems.push(warning(at("expiration"), "expires dumps by age whether or not newer dumps succeeded (it ignores keepLast)", "remove it: the dump job prunes and never deletes the last good dumps"));
    }
  }
  return problems;
}

/** A class whose data must come back within an RTO cannot sit where retrieval takes longer. */
function retrievalProblems(objective: Objective | undefined, name: DataClass, rule: LifecycleRule, at: RulePath): Problem[] {
  if (!objective) return [];
  const check = (transitions: Transition[], key: string) =>
    transitions.flatMap((t, i) => {
      const facts = STORAGE_CLASS_FACTS[t.storageClass];
      if (facts.retrieval <= objective.rto) return [];
      return [
        error(
          at(key, i, "storageClass"),
          `${t.storageClass} takes ${facts.retrievalText} to retrieve, longer than the ${name} RTO of ${formatDuration(objective.rto)}`,
          "use STANDARD_IA or GLACIER_IR (millisecond retrieval), or relax the RTO",
        ),
      ];
    });
  return [...check(rule.transitions, "transitions"), ...check(rule.noncurrentTransitions, "noncurrentTransitions")];
}
