/**
 * What a plan means for a reviewer, decided from `terraform show -json` (format 1.x) and the plan's
 * text output: which resources change how, and which diagnostics Terraform printed. Pure: no I/O.
 */

/** One resource change as `terraform show -json` writes it (the fields we read). */
export interface PlanResourceChange {
  readonly address: string;
  readonly previous_address?: string;
  readonly mode?: "managed" | "data";
  readonly type?: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: unknown;
    readonly after?: unknown;
    readonly after_unknown?: unknown;
    readonly before_sensitive?: unknown;
    readonly after_sensitive?: unknown;
    readonly importing?: { readonly id?: string; readonly identity?: unknown } | null;
    readonly replace_paths?: unknown;
  };
  readonly action_reason?: string;
}

/** The part of `terraform show -json` this tool reads. */
export interface PlanJson {
  readonly format_version?: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly PlanResourceChange[];
  readonly output_changes?: Readonly<Record<string, { readonly actions: readonly string[] }>>;
  readonly errored?: boolean;
}

/** How a resource changes, in the order a reviewer should read them. */
export const CHANGE_KINDS = ["delete", "replace", "create", "update", "import", "move", "forget"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface ResourceChange {
  readonly address: string;
  readonly kind: ChangeKind;
  /** Set when the resource also moves from another address. */
  readonly movedFrom?: string;
  /** Set when the resource is imported (possibly also updated). */
  readonly importId?: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly afterUnknown: unknown;
  readonly beforeSensitive: unknown;
  readonly afterSensitive: unknown;
  /** Terraform's reason for a replacement or a deletion, e.g. `delete_because_no_resource_config`. */
  readonly reason?: string;
  /** Attributes whose change forces the replacement, as `a.b[0]` paths. */
  readonly replacePaths: readonly string[];
}

export interface Diagnostic {
  readonly severity: "error" | "warning";
  /** The diagnostic as Terraform printed it: the summary line then its detail. */
  readonly text: string;
}

export interface StackPlan {
  /** The stack (CDKTF) or root directory name; one sticky comment per name. */
  readonly name: string;
  /** false when `terraform plan` failed (exit 1, or no plan JSON): only diagnostics remain. */
  readonly succeeded: boolean;
  readonly changes: readonly ResourceChange[];
  /** Output values that change (names only; their values may be sensitive). */
  readonly outputChanges: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

export type Counts = Readonly<Record<ChangeKind, number>>;

/** The kind of one change; null for no-op and reads (data sources), which a reviewer need not see. */
export function kindOf(change: PlanResourceChange): ChangeKind | null {
  const actions = change.change.actions.join(",");
  if (actions === "delete,create" || actions === "create,delete") return "replace";
  if (actions === "create" || actions === "update" || actions === "delete" || actions === "forget") return actions;
  if (actions === "no-op") {
    if (change.change.importing) return "import";
    if (change.previous_address && change.previous_address !== change.address) return "move";
  }
  return null;
}

/** The reviewer's view of one stack's plan. `exitCode` is `terraform plan`'s (1 = failed). */
export function readPlan(options: { name: string; plan?: PlanJson; text?: string; exitCode?: number }): StackPlan {
  const { name, plan, text = "", exitCode } = options;
  const succeeded = plan !== undefined && exitCode !== 1 && plan.errored !== true;
  const changes: ResourceChange[] = [];
  // An errored plan (terraform 1.11 saves one with -out) lists only what it got to: not a plan to review.
  for (const change of succeeded ? (plan?.resource_changes ?? []) : []) {
    if (change.mode === "data") continue;
    const kind = kindOf(change);
    if (kind === null) continue;
    changes.push({
      address: change.address,
      kind,
      movedFrom: change.previous_address && change.previous_address !== change.address ? change.previous_address : undefined,
      importId: change.change.importing ? (change.change.importing.id ?? "") : undefined,
      before: change.change.before ?? null,
      after: change.change.after ?? null,
      afterUnknown: change.change.after_unknown ?? false,
      beforeSensitive: change.change.before_sensitive ?? false,
      afterSensitive: change.change.after_sensitive ?? false,
      reason: change.action_reason,
      replacePaths: Array.isArray(change.change.replace_paths) ? change.change.replace_paths.map(pathOf) : [],
    });
  }
  const outputChanges = Object.entries(succeeded ? (plan?.output_changes ?? {}) : {})
    .filter(([, change]) => !change.actions.every((action) => action === "no-op"))
    .map(([outputName]) => outputName);
  return { name, succeeded, changes, outputChanges, diagnostics: parseDiagnostics(text) };
}

/** `["input", "labels", 2]` as `input.labels[2]` (the paths of mask.ts's flatten). */
export function pathOf(steps: unknown): string {
  if (!Array.isArray(steps)) return "";
  return steps
    .map((step, index) =>
      typeof step === "number" ? `[${step}]` : index === 0 ? String(step) : /^[A-Za-z_][\w-]*$/.test(String(step)) ? `.${step}` : `[${JSON.stringify(step)}]`,
    )
    .join("");
}

/** How many resources change each way; an imported or moved resource that also updates counts once per way. */
export function countChanges(changes: readonly ResourceChange[]): Counts {
  const counts: Record<ChangeKind, number> = { delete: 0, replace: 0, create: 0, update: 0, import: 0, move: 0, forget: 0 };
  for (const change of changes) {
    counts[change.kind] += 1;
    if (change.kind !== "import" && change.importId !== undefined) counts.import += 1;
    if (change.kind !== "move" && change.movedFrom !== undefined) counts.move += 1;
  }
  return counts;
}

/** True when applying the plan would change nothing (no resource, no output). */
export function isEmpty(plan: StackPlan): boolean {
  return plan.succeeded && plan.changes.length === 0 && plan.outputChanges.length === 0;
}

// Terraform prints each diagnostic as "Error: summary" or "Warning: summary" followed by its detail,
// framed by box-drawing characters on a terminal and plain with -no-color in automation. No library
// parses this text (`terraform plan -json` would, but the text is what users keep), so it is read here.
const DIAGNOSTIC_START = /^(?:[│╷]\s?)?(Error|Warning): /;

/** The Error and Warning blocks of Terraform's text output, in order. */
export function parseDiagnostics(text: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  let current: { severity: Diagnostic["severity"]; lines: string[] } | null = null;
  const flush = () => {
    if (current === null) return;
    while (current.lines.length > 0 && current.lines[current.lines.length - 1]!.trim() === "") current.lines.pop();
    diagnostics.push({ severity: current.severity, text: current.lines.join("\n") });
    current = null;
  };
  // Without -no-color Terraform colours its output; the escapes carry no meaning in a comment.
  const plain = text.replace(/\r\n/g, "\n").replace(/\x1b\[[0-9;]*m/g, "");
  for (const raw of plain.split("\n")) {
    const line = raw.replace(/^[│╷╵]\s?/, "");
    const start = DIAGNOSTIC_START.exec(raw);
    if (start) {
      flush();
      current = { severity: start[1] === "Error" ? "error" : "warning", lines: [line] };
      continue;
    }
    if (current === null) continue;
    // A frame's end, or terraform's next section ("Plan: ...", a resource block), ends the diagnostic.
    if (raw.startsWith("╵") || /^(Plan:|No changes\.|Terraform (will|used)|─{10})/.test(raw)) {
      flush();
      continue;
    }
    current.lines.push(line);
  }
  flush();
  return diagnostics;
}
