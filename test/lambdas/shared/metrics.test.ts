import { beforeEach, describe, expect, it, vi } from "vitest";
import { METRICS, emitMetric, withCorrelation, currentCorrelation } from "../../../lambdas/shared/index.js";
import { metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

quietPowertools();

describe("emitMetric", () => {
  beforeEach(() => {
    takeEmittedMetrics();
  });

  it("publishes one record with the table's unit, the plain [service] set and each of the table's sets", () => {
    // Act
    emitMetric(METRICS.runnersLaunched, 2, { Pool: "linux", Market: "spot" });

    // Assert
    expect(metricPoints()).toEqual([
      expect.objectContaining({
        name: "RunnersLaunched",
        unit: "Count",
        value: 2,
        dimensionSets: [["service"], ["service", "Pool"], ["service", "Pool", "Market"]],
        dimensions: expect.objectContaining({ Pool: "linux", Market: "spot" }),
      }),
    ]);
  });

  it("prints no warning when two of a metric's dimension sets share a key (Powertools would, on every flush)", () => {
    // Arrange
    const printed: string[] = [];
    const record = (chunk: unknown) => void printed.push(String(chunk));
    const warn = vi.spyOn(console, "warn").mockImplementation(record);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (record(chunk), true));

    // Act: [Pool] and [Pool, Market] both name Pool.
    emitMetric(METRICS.runnersLaunched, 1, { Pool: "linux", Market: "spot" });
    takeEmittedMetrics();
    warn.mockRestore();
    stderr.mockRestore();

    // Assert
    expect(printed.filter((line) => line.includes("EMF key"))).toEqual([]);
  });

  it("publishes a deployment-wide metric with [service] only", () => {
    // Act
    emitMetric(METRICS.reconcileErrors, 0);

    // Assert
    expect(metricPoints()).toEqual([expect.objectContaining({ name: "ReconcileErrors", value: 0, dimensionSets: [["service"]] })]);
  });

  it("keeps the dimensions of one data point out of the next", () => {
    // Act
    emitMetric(METRICS.jobsDeferred, 1, { Pool: "linux", Reason: "limit" });
    emitMetric(METRICS.jobsQueued, 1, { Pool: "gpu" });

    // Assert
    const [deferred, queued] = metricPoints();
    expect(deferred?.dimensions).toMatchObject({ Pool: "linux", Reason: "limit" });
    expect(queued?.dimensions).toEqual({ service: expect.any(String), Pool: "gpu" });
  });

  it("refuses at compile time a call without the dimensions the table requires", () => {
    // @ts-expect-error Pool is required by the table
    emitMetric(METRICS.jobsQueued, 1);
    // @ts-expect-error Market is required by the table
    emitMetric(METRICS.runnersLaunched, 1, { Pool: "linux" });
    // Published anyway at run time, under the unknown value, rather than failing the work it counts.
    expect(metricPoints().map((point) => point.dimensions.Pool)).toEqual(["unknown", "linux"]);
  });
});

describe("withCorrelation", () => {
  it("adds keys for the work inside it only, nested scopes on top of outer ones, undefined ones left out", async () => {
    // Act
    const inner = await withCorrelation({ deliveryId: "d-1" }, () => withCorrelation({ jobId: 7, pool: undefined }, async () => currentCorrelation()));

    // Assert
    expect(inner).toEqual({ deliveryId: "d-1", jobId: 7 });
    expect(currentCorrelation()).toEqual({});
  });

  it("keeps concurrent scopes apart", async () => {
    // Act
    const seen = await Promise.all(
      [1, 2, 3].map((jobId) =>
        withCorrelation({ jobId }, async () => {
          await new Promise((resolve) => setTimeout(resolve, 5 * (4 - jobId)));
          return currentCorrelation().jobId;
        }),
      ),
    );

    // Assert
    expect(seen).toEqual([1, 2, 3]);
  });
});
