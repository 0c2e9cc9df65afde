import { readFile } from "node:fs/promises";
import { CliError, UsageError } from "./errors.js";

/**
 * Where a deployment's parts are, by name. The names are the constructs' own (stacks/self-runners.ts:
 * `<prefix>-jobs`, `<prefix>-runners`; stacks/draining-switch.ts: `/<prefix>/draining`;
 * stacks/runner-queue.ts: `<prefix>-<pool>.fifo` and `<prefix>-<pool>-dlq.fifo`).
 */
export interface Deployment {
  readonly prefix: string;
  /** From `--region`, else the region of the outputs' queue ARNs; undefined: the SDK's own chain. */
  readonly region?: string;
  readonly jobsTable: string;
  readonly runnersTable: string;
  readonly drainingParameter: string;
  /** Pool -> its queues; undefined with `--prefix` (found by ListQueues at run time). */
  readonly pools?: Readonly<Record<string, PoolQueues>>;
}

export interface PoolQueues {
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  /** Known from the outputs; otherwise resolved with GetQueueUrl. */
  readonly queueUrl?: string;
}

/** The pool queue name of `pool`, as RunnerQueues names it. */
export function queueName(prefix: string, pool: string): string {
  return `${prefix}-${pool}.fifo`;
}

/** The dead-letter queue name of `pool`, as RunnerQueues names it. */
export function deadLetterQueueName(prefix: string, pool: string): string {
  return `${prefix}-${pool}-dlq.fifo`;
}

/** The deployment named by a prefix alone; pools are found later from the queue names. */
export function deploymentFromPrefix(prefix: string, region?: string): Deployment {
  // The `prefix` input's rule (stacks/errors.ts RULES.prefix; not imported: that file pulls in cdktf).
  if (!/^[a-z][a-z0-9-]{0,18}[a-z0-9]$/.test(prefix)) {
    throw new UsageError(`--prefix must be 2-20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen; got "${prefix}"`);
  }
  return { prefix, region, jobsTable: `${prefix}-jobs`, runnersTable: `${prefix}-runners`, drainingParameter: `/${prefix}/draining` };
}

/** The outputs this CLI reads from `terraform output -json` (stacks/module-stack.ts). */
const REQUIRED_OUTPUTS = ["jobs_table_name", "runners_table_name", "draining_ssm_parameter_name", "queue_urls", "dead_letter_queue_arns"] as const;

/**
 * The deployment described by the JSON of `terraform output -json` (each output `{ value, type,
 * sensitive }`). The module has no `prefix` output: the jobs table is `<prefix>-jobs`, so the prefix
 * is read from its name (the EC2 tag filter needs it).
 */
export function deploymentFromOutputs(json: unknown, region?: string): Deployment {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new CliError("--outputs: expected the JSON object of `terraform output -json`");
  const outputs = json as Record<string, { value?: unknown } | undefined>;
  const missing = REQUIRED_OUTPUTS.filter((name) => outputs[name]?.value === undefined);
  if (missing.length > 0) throw new CliError(`--outputs: missing output(s) ${missing.join(", ")} (is this the self-runners module's output?)`);
  const text = (name: (typeof REQUIRED_OUTPUTS)[number]): string => {
    const value = outputs[name]?.value;
    if (typeof value !== "string" || value === "") throw new CliError(`--outputs: ${name} must be a non-empty string`);
    return value;
  };
  const map = (name: (typeof REQUIRED_OUTPUTS)[number]): Record<string, string> => {
    const value = outputs[name]?.value;
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === "string")) {
      throw new CliError(`--outputs: ${name} must be a map of strings`);
    }
    return value as Record<string, string>;
  };
  const jobsTable = text("jobs_table_name");
  if (!jobsTable.endsWith("-jobs")) throw new CliError(`--outputs: jobs_table_name "${jobsTable}" does not end in -jobs; cannot tell the prefix`);
  const queueUrls = map("queue_urls");
  const deadLetterArns = map("dead_letter_queue_arns");
  const pools: Record<string, PoolQueues> = {};
  for (const [pool, queueUrl] of Object.entries(queueUrls)) {
    const arn = deadLetterArns[pool];
    if (arn === undefined) throw new CliError(`--outputs: pool ${pool} has a queue URL but no dead-letter queue ARN`);
    pools[pool] = { queueName: lastSegment(queueUrl, "/"), deadLetterQueueName: lastSegment(arn, ":"), queueUrl };
  }
  const arnRegion = Object.values(deadLetterArns)[0]?.split(":")[3];
  return {
    prefix: jobsTable.slice(0, -"-jobs".length),
    region: region ?? (arnRegion === "" ? undefined : arnRegion),
    jobsTable,
    runnersTable: text("runners_table_name"),
    drainingParameter: text("draining_ssm_parameter_name"),
    pools,
  };
}

export async function readOutputsFile(path: string, region?: string): Promise<Deployment> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`--outputs: cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`--outputs: ${path} is not JSON (write it with \`terraform output -json > ${path}\`)`);
  }
  return deploymentFromOutputs(json, region);
}

function lastSegment(text: string, separator: string): string {
  return text.slice(text.lastIndexOf(separator) + 1);
}
