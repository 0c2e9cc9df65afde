import type { Decision } from "./decide.js";

/** One matrix entry per affected root or stack, for `strategy.matrix: ${{ fromJSON(...) }}`. */
export interface MatrixEntry {
  readonly root: string;
  readonly stack: string;
  readonly kind: "terraform" | "cdktf";
}

export function matrixOf(decision: Decision): { include: MatrixEntry[] } {
  return { include: decision.affected.map(({ kind, root, stack }) => ({ root: root === "" ? "." : root, stack, kind })) };
}

/** A Markdown summary for people: what is planned and why, and what is left out. */
export function summaryOf(decision: Decision): string {
  const name = (t: { kind: string; root: string; stack: string }) => (t.kind === "cdktf" ? `\`${t.root || "."}\` stack \`${t.stack || "(all)"}\`` : `\`${t.root || "."}\``);
  const lines = [`### Affected: ${decision.affected.length} of ${decision.affected.length + decision.unaffected.length} roots and stacks (${decision.changed.length} changed file${decision.changed.length === 1 ? "" : "s"})`, ""];
  if (decision.affected.length > 0) {
    lines.push("| root / stack | why |", "|---|---|");
    for (const target of decision.affected) {
      const shown = target.reasons.slice(0, 3).join("; ");
      const more = target.reasons.length > 3 ? `; and ${target.reasons.length - 3} more` : "";
      lines.push(`| ${name(target)} | ${escapeCell(shown + more)} |`);
    }
  } else lines.push("Nothing to plan: no root or stack reads a changed file.");
  if (decision.unaffected.length > 0) lines.push("", `Not affected: ${decision.unaffected.map(name).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
