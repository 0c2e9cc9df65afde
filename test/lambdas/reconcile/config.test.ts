import { describe, expect, it } from "vitest";
import { RECONCILE_ENV } from "../../../contracts/reconcile.js";
import { reconcileConfigFromEnv } from "../../../lambdas/reconcile/config.js";
import { InvalidEnvError, MissingEnvError } from "../../../lambdas/shared/index.js";
import { spotInterruptionConfigFromEnv } from "../../../lambdas/spot-interruption/config.js";
import { sampleEnv } from "../../helpers/contracts.js";

const QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo";

/** The reconcile environment as the module sets it (pools with their warm fields). */
function reconcileEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return sampleEnv(RECONCILE_ENV, {
    POOLS: JSON.stringify({
      gpu: { queueUrl: `${QUEUE}-gpu`, labels: ["linux", "gpu"], warmSize: 2, warmOwner: "octo-org", warmSchedule: "Mon-Fri 07:00-19:00" },
      linux: { queueUrl: QUEUE, labels: ["linux"], warmSize: 0, warmOwner: "", warmSchedule: "" },
    }),
    ...overrides,
  });
}

describe("reconcileConfigFromEnv", () => {
  it("reads pools, warm settings, the control-plane settings and the internal tunables' defaults", () => {
    // Act
    const config = reconcileConfigFromEnv(reconcileEnv());

    // Assert
    expect(config).toMatchObject({
      jobsTable: "sr-jobs",
      drainingParameter: "/sr/draining",
      pools: {
        gpu: { queueUrl: `${QUEUE}-gpu`, labels: ["linux", "gpu"], warm: { size: 2, owner: "octo-org", schedule: "Mon-Fri 07:00-19:00" } },
        linux: { queueUrl: QUEUE, labels: ["linux"], warm: undefined },
      },
      bootTimeoutSeconds: 600,
      idleTimeoutSeconds: 1800,
      busyConfirmSeconds: 90,
      relaunchGraceSeconds: 300,
      requeueAfterSeconds: 1800,
      rerunInterrupted: true,
      maxJobChecks: 50,
    });
  });

  it("reads the control-plane settings when set", () => {
    // Act
    const config = reconcileConfigFromEnv(
      reconcileEnv({ BUSY_CONFIRM_SECONDS: "120", RELAUNCH_GRACE_SECONDS: "900", RERUN_INTERRUPTED_JOBS: "false", REQUEUE_AFTER_SECONDS: "3600", MAX_JOB_CHECKS: "10" }),
    );

    // Assert
    expect(config).toMatchObject({ busyConfirmSeconds: 120, relaunchGraceSeconds: 900, rerunInterrupted: false, requeueAfterSeconds: 3600, maxJobChecks: 10 });
  });

  it("keeps a warm pool open all the time when its schedule is empty", () => {
    // Act
    const config = reconcileConfigFromEnv(reconcileEnv({ POOLS: JSON.stringify({ linux: { queueUrl: QUEUE, labels: ["linux"], warmSize: 1, warmOwner: "octo-org", warmSchedule: "" } }) }));

    // Assert
    expect(config.pools.linux?.warm).toEqual({ size: 1, owner: "octo-org", schedule: "" });
  });

  it.each([
    { name: "the warm schedule is malformed", env: { POOLS: JSON.stringify({ gpu: { queueUrl: QUEUE, labels: ["gpu"], warmSize: 1, warmOwner: "o", warmSchedule: "weekdays" } }) }, error: 'environment variable POOLS is invalid: $.gpu: warm schedule "weekdays" is not "<days> HH:MM-HH:MM"' },
    { name: "a pool has no queue URL", env: { POOLS: JSON.stringify({ gpu: { warmSize: 0 } }) }, error: "environment variable POOLS is invalid: $.gpu.queueUrl: expected a non-empty string" },
    { name: "RERUN_INTERRUPTED_JOBS is not true or false", env: { RERUN_INTERRUPTED_JOBS: "yes" }, error: 'environment variable RERUN_INTERRUPTED_JOBS is invalid: expected one of true, false, got "yes"' },
    { name: "BUSY_CONFIRM_SECONDS is not a positive integer", env: { BUSY_CONFIRM_SECONDS: "0" }, error: /BUSY_CONFIRM_SECONDS is invalid/ },
  ])("fails when $name", ({ env, error }) => {
    // Act + Assert
    expect(() => reconcileConfigFromEnv(reconcileEnv(env))).toThrow(InvalidEnvError);
    expect(() => reconcileConfigFromEnv(reconcileEnv(env))).toThrow(error);
  });

  it.each(["JOBS_TABLE", "DRAINING_PARAMETER", "RUNNER_BOOT_TIMEOUT_SECONDS", "RERUN_INTERRUPTED_JOBS"])("fails when %s is missing", (name) => {
    // Act + Assert
    expect(() => reconcileConfigFromEnv(reconcileEnv({ [name]: undefined }))).toThrow(new MissingEnvError(name));
  });
});

describe("spotInterruptionConfigFromEnv", () => {
  it("reads the queue URL of every pool", () => {
    // Act
    const config = spotInterruptionConfigFromEnv(reconcileEnv());

    // Assert
    expect(config).toMatchObject({ prefix: "sr", scope: "org", runnersTable: "sr-runners", jobsTable: "sr-jobs", queueUrls: { gpu: `${QUEUE}-gpu`, linux: QUEUE } });
  });

  it("fails when JOBS_TABLE is missing", () => {
    // Act + Assert
    expect(() => spotInterruptionConfigFromEnv(reconcileEnv({ JOBS_TABLE: undefined }))).toThrow(new MissingEnvError("JOBS_TABLE"));
  });
});
