/**
 * Fits a comment under GitHub's limit: the head (marker, title, summary) and the alerts always stay;
 * details are dropped from the middle, whole (a fold or a fence is never cut), with a notice where
 * they were. Alerts alone too long for the limit are cut at a line, with the same kind of notice.
 */
import { fenced } from "./markdown.js";

export interface CommentParts {
  readonly head: string;
  readonly alerts: readonly string[];
  /** Self-contained blocks (a heading, one resource's fold): any of them may be dropped. */
  readonly details: readonly string[];
}

const SEPARATOR = "\n\n";
// Room for the notice itself and the separators around it.
const NOTICE_ROOM = 600;

/** `1,500`: counts as a reviewer reads them. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

function notice(what: string, runUrl?: string): string {
  const where = runUrl ? `the [workflow run](${encodeURI(runUrl)})` : "the workflow run";
  return `> [!NOTE]\n> ✂️ ${what} to stay under GitHub's 65,536-character comment limit. The full plan is in ${where}.`;
}

const isResource = (block: string) => block.startsWith("<details");

export function fitComment(parts: CommentParts, limit: number, runUrl?: string): string {
  const alerts = fitAlerts(parts.alerts, Math.floor(limit / 2), runUrl);
  const fixed = [parts.head, ...alerts];
  const whole = [...fixed, ...parts.details].join(SEPARATOR);
  if (whole.length <= limit) return whole;
  const budget = limit - fixed.join(SEPARATOR).length - NOTICE_ROOM;
  const { first, last } = keepEnds(parts.details, budget);
  const omitted = parts.details.slice(first, parts.details.length - last);
  const resources = parts.details.filter(isResource).length;
  const what = `${count(omitted.filter(isResource).length)} of ${count(resources)} resource diffs omitted from the middle`;
  return [...fixed, ...parts.details.slice(0, first), notice(what, runUrl), ...parts.details.slice(parts.details.length - last)].join(SEPARATOR);
}

// Keeps as many blocks from both ends as fit, taking from the front and the back in turn.
function keepEnds(blocks: readonly string[], budget: number): { first: number; last: number } {
  let [first, last, used] = [0, 0, 0];
  let front = true;
  while (first + last < blocks.length) {
    const block = front ? blocks[first]! : blocks[blocks.length - 1 - last]!;
    const cost = block.length + SEPARATOR.length;
    if (used + cost > budget) {
      // The other end may still hold a block small enough.
      const other = front ? blocks[blocks.length - 1 - last]! : blocks[first]!;
      if (used + other.length + SEPARATOR.length > budget) break;
      front = !front;
      continue;
    }
    used += cost;
    if (front) first += 1;
    else last += 1;
    front = !front;
  }
  return { first, last };
}

// The destroy list of a very large plan can itself pass the limit: keep its head, cut at a line.
function fitAlerts(alerts: readonly string[], budget: number, runUrl?: string): string[] {
  const kept: string[] = [];
  let used = 0;
  for (const alert of alerts) {
    if (used + alert.length + SEPARATOR.length <= budget) {
      kept.push(alert);
      used += alert.length + SEPARATOR.length;
      continue;
    }
    const room = budget - used - NOTICE_ROOM;
    if (room <= 0) break;
    const lines = alert.split("\n");
    const fence = /^(`{3,})/.exec(lines[0] ?? "");
    // A fenced block is re-fenced after the cut, so the cut never leaves it open.
    const body = fence ? lines.slice(1, -1) : lines;
    const head: string[] = [];
    let size = 0;
    for (const line of body) {
      if (size + line.length + 1 > room) break;
      head.push(line);
      size += line.length + 1;
    }
    const cut = `(${body.length - head.length} more lines in the workflow run)`;
    kept.push(fence ? fenced([...head, cut].join("\n"), lines[0]!.slice(fence[1]!.length)) : [...head, `> ${cut}`].join("\n"));
    used += size + NOTICE_ROOM;
  }
  if (kept.length < alerts.length) kept.push(notice(`${count(alerts.length - kept.length)} more warning blocks omitted`, runUrl));
  return kept;
}
