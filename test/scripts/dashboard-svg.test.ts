import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DASHBOARD_SVG, defaultDashboardSvg, renderDashboardSvg } from "../../scripts/dashboard-svg.js";
import { dashboardWidgets } from "../../stacks/operations/dashboard-widgets.js";
import { sloDefinitions } from "../../stacks/operations/slo-alarms.js";

describe("docs/images/dashboard.svg", () => {
  it("is the layout of the current widget definitions (run `npm run docs:dashboard` after changing them)", () => {
    expect(readFileSync(DASHBOARD_SVG, "utf8")).toBe(defaultDashboardSvg());
  });

  it("draws one box per widget with its title, on a 24-column grid 960 pixels wide", () => {
    const widgets = dashboardWidgets({ prefix: "ci", slos: sloDefinitions({ prefix: "ci" }) });
    const svg = renderDashboardSvg(widgets);
    expect(svg.match(/<rect x=/g)).toHaveLength(widgets.length);
    for (const widget of widgets) expect(svg).toContain(`>${widget.title.replace(/&/g, "&amp;")}</text>`);
    expect(svg).toMatch(/^<svg [^>]*width="960" height="912"/);
    expect(svg).toContain('<rect x="2" y="50" width="476" height="140"');
  });
});
