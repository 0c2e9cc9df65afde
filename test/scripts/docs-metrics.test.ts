import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { METRICS } from "../../contracts/metrics.js";
import { METRICS_DOC, committedMetricsSection, renderMetricsDocs, writeMetricsSection } from "../../scripts/docs-metrics.js";

describe("docs/metrics.md", () => {
  it("holds the section generated from contracts/metrics.ts (run `npm run docs:metrics` after changing the table)", () => {
    // Arrange
    const markdown = readFileSync(METRICS_DOC, "utf8");

    // Act
    const committed = committedMetricsSection(markdown);

    // Assert
    expect(committed).toBe(renderMetricsDocs());
  });

  it("lists every metric of the table with its unit and statistic", () => {
    // Act
    const section = renderMetricsDocs();

    // Assert
    for (const spec of Object.values(METRICS)) expect(section).toContain(`| \`${spec.name}\` | ${spec.unit} |`);
    expect(section).toContain("filter jobId = ");
    expect(section).toContain("pct(TimeToRunner, 99)");
  });

  it("fails when the page lacks the generated markers", () => {
    expect(() => writeMetricsSection("# Metrics\n")).toThrow(/lacks the markers/);
  });
});
