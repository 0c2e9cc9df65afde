import { parseArgs } from "node:util";
import type { AwsClients } from "./clients.js";
import { defaultClients } from "./clients.js";
import { drain, formatDrain } from "./commands/drain.js";
import { formatReplay, replayDeadLetters } from "./commands/dlq-replay.js";
import { JOB_STATES, formatJobs, parseJobState, readJobs } from "./commands/jobs.js";
import { formatStatus, readStatus } from "./commands/status.js";
import { deploymentFromPrefix, readOutputsFile } from "./deployment.js";
import type { Deployment } from "./deployment.js";
import { CliError, EXIT, UsageError } from "./errors.js";

export const USAGE = `Usage: self-runners <command> [options]

Commands:
  status                       per pool: ledger jobs, DLQ depth, runners by state; draining; GitHub budget per App
  drain on|off                 pause or resume launches (the draining switch)
  jobs [--state <state>]       ledger jobs, newest first; <state>: ${JOB_STATES.join(", ")} (default: waiting)
  dlq replay --pool <pool> [--dry-run]
                               move a pool's dead-lettered jobs back to its queue, refusing done ones

Deployment (one of):
  --outputs <file>             the JSON of \`terraform output -json\` of the module
  --prefix <prefix>            the module's \`prefix\` input
Options:
  --region <region>            AWS region (default: from the outputs' ARNs, else AWS_REGION / the profile)
  --json                       JSON instead of aligned text
  -h, --help                   this text

Exit codes: 0 done, 1 AWS or the deployment refused (message on stderr), 2 usage error.`;

/** What `run` writes to and builds; the bin passes the process's, tests their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly clients?: (region: string | undefined) => AwsClients;
  readonly now?: () => Date;
}

const OPTIONS = {
  outputs: { type: "string" },
  prefix: { type: "string" },
  region: { type: "string" },
  json: { type: "boolean" },
  state: { type: "string" },
  pool: { type: "string" },
  "dry-run": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Options only some commands take (the others refuse them rather than ignore them). */
const COMMAND_OPTIONS: Record<string, readonly string[]> = { status: [], drain: [], jobs: ["state"], "dlq replay": ["pool", "dry-run"] };

/** Runs one command line; resolves with the exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`self-runners: ${error.message}\nRun \`self-runners --help\` for usage.`);
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      io.stderr(`self-runners: ${error.message}`);
      return EXIT.failed;
    }
    io.stderr(`self-runners: ${describeAwsError(error)}`);
    return EXIT.failed;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's own text for an unknown option is long and changes between versions.
    const unknown = (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /'(-[^']+)'/.exec((error as Error).message)?.[1] : undefined;
    throw new UsageError(unknown === undefined ? (error as Error).message : `unknown option ${unknown}`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0) {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const [command, ...rest] = positionals;
  const name = command === "dlq" ? `dlq ${rest[0] ?? ""}`.trim() : (command as string);
  const allowed = Object.hasOwn(COMMAND_OPTIONS, name) ? COMMAND_OPTIONS[name] : undefined;
  if (allowed === undefined) throw new UsageError(command === "dlq" ? `unknown dlq command "${rest[0] ?? ""}" (expected: dlq replay)` : `unknown command "${command}"`);
  for (const option of ["state", "pool", "dry-run"] as const) {
    if (values[option] !== undefined && !allowed.includes(option)) throw new UsageError(`--${option} does not apply to ${name}`);
  }
  const extra = command === "dlq" ? rest.slice(1) : command === "drain" ? rest.slice(1) : rest;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  // Check the whole command line before any file or AWS access.
  let drainOn: boolean | undefined;
  if (command === "drain") {
    if (rest[0] !== "on" && rest[0] !== "off") throw new UsageError(`drain takes on or off, got ${rest[0] === undefined ? "nothing" : `"${rest[0]}"`}`);
    drainOn = rest[0] === "on";
  }
  const state = command === "jobs" ? parseJobState(values.state ?? "waiting") : undefined;
  if (name === "dlq replay" && (values.pool === undefined || values.pool === "")) throw new UsageError("dlq replay needs --pool <pool>");

  const deployment = await resolveDeployment(values.outputs, values.prefix, values.region);
  const clients = (io.clients ?? defaultClients)(deployment.region);
  const now = (io.now ?? (() => new Date()))();
  const asJson = values.json === true;
  switch (name) {
    case "status":
      io.stdout(formatStatus(await readStatus(clients, deployment, now), asJson));
      return EXIT.ok;
    case "drain":
      io.stdout(formatDrain(await drain(clients, deployment, drainOn as boolean), asJson));
      return EXIT.ok;
    case "jobs":
      io.stdout(formatJobs(await readJobs(clients, deployment, state as NonNullable<typeof state>, now), state as NonNullable<typeof state>, asJson));
      return EXIT.ok;
    default:
      io.stdout(formatReplay(await replayDeadLetters(clients, deployment, values.pool as string, values["dry-run"] === true, now), asJson));
      return EXIT.ok;
  }
}

async function resolveDeployment(outputs: string | undefined, prefix: string | undefined, region: string | undefined): Promise<Deployment> {
  if ((outputs === undefined) === (prefix === undefined)) throw new UsageError("give the deployment with exactly one of --outputs <file> or --prefix <prefix>");
  return outputs !== undefined ? readOutputsFile(outputs, region) : deploymentFromPrefix(prefix as string, region);
}

/** An SDK error as one line: the service's error name and message, or the network failure. */
export function describeAwsError(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (e?.$metadata !== undefined) return `AWS ${e.name ?? "error"}${e.$metadata.httpStatusCode === undefined ? "" : ` (HTTP ${e.$metadata.httpStatusCode})`}: ${e.message ?? ""}`.trimEnd();
  if (e?.name === "CredentialsProviderError") return `no AWS credentials: ${e.message ?? ""} (set AWS_PROFILE or the AWS_* variables)`;
  return `${e?.name ?? "Error"}: ${e?.message ?? String(error)}`;
}
