import { readDraining, writeDraining } from "../adapters/draining.js";
import type { AwsClients } from "../clients.js";
import type { Deployment } from "../deployment.js";
import { json } from "../format.js";

export interface DrainResult {
  readonly parameter: string;
  readonly before: boolean;
  readonly after: boolean;
}

/**
 * Flips the draining switch. Scale-up caches the value for DRAINING_CACHE_SECONDS (30 s), so a flip
 * acts within about a minute. Terraform ignores the value after creating the parameter: the next apply
 * keeps what this wrote.
 */
export async function drain(clients: AwsClients, deployment: Deployment, on: boolean): Promise<DrainResult> {
  const before = await readDraining(clients.ssm, deployment.drainingParameter);
  if (before !== on) await writeDraining(clients.ssm, deployment.drainingParameter, on);
  return { parameter: deployment.drainingParameter, before, after: on };
}

export function formatDrain(result: DrainResult, asJson: boolean): string {
  if (asJson) return json(result);
  const word = (on: boolean) => (on ? "on" : "off");
  if (result.before === result.after) return `draining was already ${word(result.after)} (${result.parameter} unchanged)`;
  const effect = result.after ? "scale-up stops launching within a minute; jobs stay queued" : "scale-up resumes launching the queued jobs within a minute";
  return `draining ${word(result.before)} -> ${word(result.after)} (${result.parameter}): ${effect}`;
}
