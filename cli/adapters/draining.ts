import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { CliError } from "../errors.js";

/** Reads the draining switch the way scale-up does: "true" (any case, trimmed) is on. */
export async function readDraining(client: SSMClient, name: string): Promise<boolean> {
  try {
    const value = (await client.send(new GetParameterCommand({ Name: name }))).Parameter?.Value ?? "";
    return value.trim().toLowerCase() === "true";
  } catch (error) {
    if ((error as { name?: string }).name === "ParameterNotFound") throw new CliError(`the draining switch ${name} does not exist: is the deployment (prefix, region) right?`);
    throw error;
  }
}

/** Overwrites the switch's value (Terraform ignores the value after creating it, so an apply keeps it). */
export async function writeDraining(client: SSMClient, name: string, on: boolean): Promise<void> {
  await client.send(new PutParameterCommand({ Name: name, Value: on ? "true" : "false", Overwrite: true }));
}
