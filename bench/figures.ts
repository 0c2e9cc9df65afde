// The shape every benchmark group returns, how figures print beside their targets, and how two
// result files compare. Absolute times on a shared machine are noise; ratios between two runs on the
// same machine are what to read (npm run bench -- --compare old.json).

/** One measured figure. Lower is better unless `higherIsBetter`. */
export interface Figure {
  /** Stable key across runs, e.g. "zip.webhook.bytes"; --compare matches on it. */
  readonly id: string;
  /** What was measured, for people. */
  readonly label: string;
  readonly value: number;
  /** "B", "ms", "s", "calls", "op/s", ... */
  readonly unit: string;
  /** Issue 14's target, when the figure has one. */
  readonly target?: number;
  readonly higherIsBetter?: boolean;
  /** How it was measured (sample size, spread), printed after the figure. */
  readonly note?: string;
}

/** A group of figures measured together; bench/run.ts lists the groups. */
export interface BenchGroup {
  readonly name: string;
  run(): Promise<readonly Figure[]>;
}

/** A group that threw instead of returning its figures. */
export interface GroupFailure {
  readonly group: string;
  readonly error: string;
}

/** What bench/results.json holds. */
export interface BenchResults {
  readonly node: string;
  readonly cpus: number;
  readonly startedAt: string;
  readonly figures: readonly Figure[];
  /** Groups that failed (absent in files written before failures were recorded). */
  readonly failures?: readonly GroupFailure[];
}

/**
 * Families of figures measured at several sizes where issue 14's table sets the target at one size
 * only: the calls per launched runner are targets for the 100-job burst; the bursts of 1, 10 and
 * 1,000 are measured beside it with no target. The one place that says which sizes carry a target.
 */
const TARGET_AT_ONE_SIZE: ReadonlyArray<{ readonly family: RegExp; readonly targeted: RegExp }> = [
  { family: /^scale-up\.burst-\d+\.(aws|github)-per-runner$/, targeted: /^scale-up\.burst-100\./ },
];

/** `figure` without its target when issue 14 sets that target at another size of its family. */
export function scopeTarget(figure: Figure): Figure {
  if (figure.target === undefined) return figure;
  const untargeted = TARGET_AT_ONE_SIZE.some((rule) => rule.family.test(figure.id) && !rule.targeted.test(figure.id));
  if (!untargeted) return figure;
  const { target: _dropped, ...rest } = figure;
  return rest;
}

export function meetsTarget(figure: Figure): boolean | undefined {
  if (figure.target === undefined) return undefined;
  return figure.higherIsBetter ? figure.value >= figure.target : figure.value <= figure.target;
}

function formatValue(value: number, unit: string): string {
  const digits = Number.isInteger(value) ? 0 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

/** One line: label, value, and the target with ok/MISS when there is one. */
export function formatFigure(figure: Figure): string {
  const met = meetsTarget(figure);
  const target =
    figure.target === undefined ? "" : `  target ${figure.higherIsBetter ? "≥" : "≤"} ${formatValue(figure.target, figure.unit)} ${met ? "ok" : "MISS"}`;
  return `${figure.label.padEnd(66)} ${formatValue(figure.value, figure.unit).padStart(16)}${target}${figure.note ? `  (${figure.note})` : ""}`;
}

/** new/old per figure present in both; below 1 means less of it (better unless higherIsBetter). */
export function compareFigures(current: readonly Figure[], previous: readonly Figure[], { listDropped = true } = {}): string[] {
  const old = new Map(previous.map((f) => [f.id, f]));
  const lines: string[] = [];
  for (const figure of current) {
    const before = old.get(figure.id);
    if (!before) {
      lines.push(`${figure.label.padEnd(66)} new figure`);
      continue;
    }
    const ratio = before.value === 0 ? (figure.value === 0 ? 1 : Number.POSITIVE_INFINITY) : figure.value / before.value;
    const better = figure.higherIsBetter ? ratio > 1 : ratio < 1;
    const verdict = Math.abs(ratio - 1) < 0.005 ? "same" : better ? "better" : "worse";
    lines.push(
      `${figure.label.padEnd(66)} ${formatValue(before.value, before.unit).padStart(16)} -> ${formatValue(figure.value, figure.unit).padStart(16)}  x${ratio.toFixed(3)} ${verdict}`,
    );
  }
  if (listDropped) for (const before of previous) if (!current.some((f) => f.id === before.id)) lines.push(`${before.label.padEnd(66)} no longer measured`);
  return lines;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
