import { describe, expect, it } from "vitest";
import { renderLifecycleRules, renderSpacesLifecycleRules } from "../../components/storage";
import { merge, minimalPrimary, specOf } from "../config/fixtures";

describe("renderLifecycleRules", () => {
  it("gives each data class its own rule, pgBackRest's touching noncurrent versions only", () => {
    const rules = renderLifecycleRules(specOf(merge(minimalPrimary(), { storage: { lifecycle: { dumps: { transitions: [], minObjectSize: undefined } } } })).storage);
    expect(rules).toEqual([
      { id: "drkit-pgbackrest", status: "Enabled", filter: { prefix: "pgbackrest/" }, noncurrentVersionExpiration: { noncurrentDays: 30 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
      { id: "drkit-dumps", status: "Enabled", filter: { prefix: "dumps/" }, noncurrentVersionExpiration: { noncurrentDays: 30 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
      { id: "drkit-redis", status: "Enabled", filter: { prefix: "redis/" }, noncurrentVersionExpiration: { noncurrentDays: 30 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
    ]);
  });

  it("splits a size-filtered class so small objects still expire", () => {
    const rules = renderLifecycleRules(specOf(merge(minimalPrimary(), { storage: { lifecycle: { dumps: { expiration: "400d" } } } })).storage);
    const dumps = rules.filter((r) => r.id.startsWith("drkit-dumps"));
    expect(dumps).toEqual([
      {
        id: "drkit-dumps-transitions",
        status: "Enabled",
        filter: { and: { prefix: "dumps/", objectSizeGreaterThan: 131_072 } },
        transitions: [
          { days: 30, storageClass: "GLACIER_IR" },
          { days: 120, storageClass: "DEEP_ARCHIVE" },
        ],
      },
      {
        id: "drkit-dumps",
        status: "Enabled",
        filter: { prefix: "dumps/" },
        expiration: { days: 400 },
        noncurrentVersionExpiration: { noncurrentDays: 30 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
    ]);
  });

  it("renders noncurrent transitions, kept versions and the delete-marker cleanup", () => {
    const spec = specOf(
      merge(minimalPrimary(), {
        storage: {
          lifecycle: {
            media: { noncurrentTransitions: [{ after: "30d", storageClass: "STANDARD_IA" }], noncurrentExpiration: "180d", keepNoncurrentVersions: 3, expiredObjectDeleteMarker: true },
          },
        },
      }),
    );
    expect(renderLifecycleRules(spec.storage).find((r) => r.id === "drkit-media")).toEqual({
      id: "drkit-media",
      status: "Enabled",
      filter: { prefix: "media/" },
      noncurrentVersionTransitions: [{ noncurrentDays: 30, storageClass: "STANDARD_IA", newerNoncurrentVersions: 3 }],
      expiration: { expiredObjectDeleteMarker: true },
      noncurrentVersionExpiration: { noncurrentDays: 180, newerNoncurrentVersions: 3 },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    });
  });
});

describe("renderSpacesLifecycleRules", () => {
  it("maps versioning and expiration rules onto Spaces' shape", () => {
    const spec = specOf(merge(minimalPrimary(), { region: "fra1", storage: { provider: "digitalocean", lifecycle: { dumps: { expiration: "400d" }, redis: { noncurrentExpiration: null } } }, cluster: { workloadIdentity: undefined } }));
    expect(renderSpacesLifecycleRules(spec.storage)).toEqual([
      { id: "drkit-pgbackrest", enabled: true, prefix: "pgbackrest/", noncurrentVersionExpiration: { days: 30 }, abortIncompleteMultipartUploadDays: 7 },
      { id: "drkit-dumps", enabled: true, prefix: "dumps/", expiration: { days: 400 }, noncurrentVersionExpiration: { days: 30 }, abortIncompleteMultipartUploadDays: 7 },
      { id: "drkit-redis", enabled: true, prefix: "redis/", abortIncompleteMultipartUploadDays: 7 },
    ]);
  });
});
