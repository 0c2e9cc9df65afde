/** A column of a text table: right-aligned columns hold numbers. */
export interface Column {
  readonly header: string;
  readonly align?: "left" | "right";
}

/**
 * Aligned columns separated by two spaces, no borders, no trailing blanks (console.table draws a box
 * and an index column, which is neither greppable nor stable to compare).
 */
export function table(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => (row[index] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (columns[index]?.align === "right" ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)].join("\n");
}

/** A duration for people: `45s`, `12m`, `3h05m`, `2d04h`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

/** Seconds from an ISO time to `now`; undefined when the time is missing or unreadable. */
export function secondsSince(iso: string | undefined, now: Date): number | undefined {
  const at = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.floor((now.getTime() - at) / 1000));
}

/** `--json` output: two-space indented, one trailing newline. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
