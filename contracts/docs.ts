import { BUILD_CACHE_ENV, BUILD_CACHE_SWEEP_ENV } from "./build-cache.js";
import { POWERTOOLS_ENV } from "./common.js";
import { describeShape, describeType } from "./env.js";
import type { EnvContract, JsonField } from "./env.js";
import { GITHUB_HOOKS_IPSET_ENV } from "./github-hooks-ipset.js";
import { NAT_FAILOVER_ENV } from "./nat-failover.js";
import { RECONCILE_ENV } from "./reconcile.js";
import { RUNNER_BINARIES_SYNCER_ENV } from "./runner-binaries.js";
import { SCALE_UP_ENV } from "./scale-up.js";
import { SPOT_INTERRUPTION_ENV } from "./spot-interruption.js";
import { WEBHOOK_ENV } from "./webhook.js";

/** Every function's contract, in the order the docs list them. */
export const FUNCTION_CONTRACTS: ReadonlyArray<{ readonly name: string; readonly file: string; readonly contract: EnvContract }> = [
  { name: "webhook", file: "contracts/webhook.ts", contract: WEBHOOK_ENV },
  { name: "scale-up", file: "contracts/scale-up.ts", contract: SCALE_UP_ENV },
  { name: "reconcile", file: "contracts/reconcile.ts", contract: RECONCILE_ENV },
  { name: "spot-interruption", file: "contracts/spot-interruption.ts", contract: SPOT_INTERRUPTION_ENV },
  { name: "nat-failover", file: "contracts/nat-failover.ts", contract: NAT_FAILOVER_ENV },
  { name: "github-hooks-ipset", file: "contracts/github-hooks-ipset.ts", contract: GITHUB_HOOKS_IPSET_ENV },
  { name: "runner-binaries-syncer", file: "contracts/runner-binaries.ts", contract: RUNNER_BINARIES_SYNCER_ENV },
  { name: "build-cache", file: "contracts/build-cache.ts", contract: BUILD_CACHE_ENV },
  { name: "build-cache-sweep", file: "contracts/build-cache.ts", contract: BUILD_CACHE_SWEEP_ENV },
];

export const GENERATED_BEGIN = "<!-- BEGIN GENERATED from contracts/ by `npm run docs:contracts`; edit the contracts, not this section -->";
export const GENERATED_END = "<!-- END GENERATED -->";

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function fieldSource(field: JsonField): string {
  if (field.source === undefined) return "";
  return "pool" in field.source ? `pools input: \`${field.source.pool}\`` : `\`${field.source.resource}[key].${field.source.attribute}\``;
}

/** The "Lambda environment variables" section of docs/contracts.md, generated from the contracts. */
export function renderEnvironmentDocs(): string {
  const powertools = new Set(Object.values(POWERTOOLS_ENV).map((variable) => variable.name));
  const lines: string[] = [
    GENERATED_BEGIN,
    "No secret is ever in an environment variable: secrets are SSM SecureString parameters named here.",
    "A variable that carries a Terraform input has that input's name in UPPER_SNAKE and is required: its default",
    "lives in the module's input table. Defaults below belong to internal tunables no input sets.",
    "",
    `Every function: ${Object.values(POWERTOOLS_ENV)
      .map((variable) => `\`${variable.name}\` (${variable.doc}; default \`${String(variable.default)}\`)`)
      .join(", ")}, read by Powertools.`,
  ];
  for (const { name, file, contract } of FUNCTION_CONTRACTS) {
    lines.push("", `### ${name} (${file})`, "", "| variable | type | required | default | meaning |", "|---|---|---|---|---|");
    for (const variable of Object.values(contract)) {
      if (powertools.has(variable.name)) continue;
      const fallback = variable.default === undefined ? "" : `\`${String(variable.default)}\``;
      lines.push(`| \`${variable.name}\` | ${cell(describeType(variable.type).replace(/^JSON \{"<key>".*$/, "JSON object by pool"))} | ${variable.required ? "yes" : "no"} | ${fallback} | ${cell(variable.doc)} |`);
    }
    for (const variable of Object.values(contract)) {
      const shape = variable.type.kind === "json" ? variable.type.shape : undefined;
      if (shape?.kind !== "map" || shape.value.kind !== "object") continue;
      lines.push("", `\`${variable.name}\` fields, per pool (\`{"<pool>": {...}}\`):`, "", "| field | type | from | meaning |", "|---|---|---|---|");
      for (const [key, field] of Object.entries(shape.value.fields)) {
        const optional = field.optional ? ` (optional${field.default === undefined ? "" : `, default \`${JSON.stringify(field.default)}\``})` : "";
        lines.push(`| \`${key}\` | ${cell(describeShape(field.shape))}${optional} | ${fieldSource(field)} | ${cell(field.doc)} |`);
      }
    }
  }
  lines.push(GENERATED_END);
  return lines.join("\n");
}

/** `markdown` with its generated section replaced by `section`; throws when the markers are missing. */
export function replaceGeneratedSection(markdown: string, section: string): string {
  const begin = markdown.indexOf(GENERATED_BEGIN);
  const end = markdown.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) throw new Error("docs/contracts.md has no generated environment section");
  return markdown.slice(0, begin) + section + markdown.slice(end + GENERATED_END.length);
}
