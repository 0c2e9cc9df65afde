// Draws the dashboard's grid layout (a box per widget, with its title and what it shows) from the same
// widget definitions the module renders (stacks/operations/dashboard-widgets.ts) into
// docs/images/dashboard.svg (npm run docs:dashboard); test/scripts/dashboard-svg.test.ts fails when the
// committed image is stale. Hand-written: a dozen rectangles need no charting library.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { GRID_COLUMNS, dashboardWidgets, type WidgetDefinition } from "../stacks/operations/dashboard-widgets.js";
import { sloDefinitions } from "../stacks/operations/slo-alarms.js";

export const DASHBOARD_SVG = join(fileURLToPath(new URL("..", import.meta.url)), "docs", "images", "dashboard.svg");

/** Pixels per grid column and per grid row. */
const COLUMN = 40;
const ROW = 24;
const GAP = 4;

const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** What a widget shows, in a few words under its title: the unit, or "text". */
function subtitle(widget: WidgetDefinition): string {
  if (widget.type === "text") return "text";
  const searches = widget.series.filter((s) => s.kind === "search" || s.kind === "aws-search").length;
  return `${widget.unit}${searches > 0 ? ", one line per series found" : ""}${widget.lines?.length ? `, lines: ${widget.lines.map((l) => l.label).join(", ")}` : ""}`;
}

/** The SVG of the layout of `widgets`. */
export function renderDashboardSvg(widgets: readonly WidgetDefinition[]): string {
  const rows = Math.max(...widgets.map((w) => w.position.y + w.position.height));
  const width = GRID_COLUMNS * COLUMN;
  const height = rows * ROW;
  const boxes = widgets.map((widget) => {
    const { x, y, width: w, height: h } = widget.position;
    const left = x * COLUMN + GAP / 2;
    const top = y * ROW + GAP / 2;
    const fill = widget.type === "text" ? "#eef2f7" : "#ffffff";
    return [
      `  <rect x="${left}" y="${top}" width="${w * COLUMN - GAP}" height="${h * ROW - GAP}" rx="4" fill="${fill}" stroke="#8a99ad"/>`,
      `  <text x="${left + 8}" y="${top + 18}" font-size="13" font-weight="bold">${escape(widget.title)}</text>`,
      `  <text x="${left + 8}" y="${top + 36}" font-size="11" fill="#555">${escape(subtitle(widget))}</text>`,
    ].join("\n");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `  <rect width="${width}" height="${height}" fill="#f7f8fa"/>`,
    ...boxes,
    "</svg>",
    "",
  ].join("\n");
}

/** The image of the module's dashboard with its default inputs. */
export function defaultDashboardSvg(): string {
  const prefix = "self-runners";
  return renderDashboardSvg(dashboardWidgets({ prefix, slos: sloDefinitions({ prefix }) }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  writeFileSync(DASHBOARD_SVG, defaultDashboardSvg());
  console.log(`wrote ${DASHBOARD_SVG}`);
}
