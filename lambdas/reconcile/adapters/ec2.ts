import { TerminateInstancesCommand, paginateDescribeInstances } from "@aws-sdk/client-ec2";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { RUNNER_TAGS } from "../../shared/index.js";
import { isOwnRunner, type InstanceView } from "../decide.js";


/** TerminateInstances ids per call. */
export const TERMINATE_CHUNK = 100;

export interface InstanceInventory {
  /** Every pending, running, stopping or stopped instance carrying our prefix tag and running with the runner instance profile. */
  list(): Promise<InstanceView[]>;
  terminate(instanceIds: readonly string[]): Promise<void>;
}

export function ec2InstanceInventory(client: EC2Client, prefix: string, runnerInstanceProfileArn: string): InstanceInventory {
  return {
    async list() {
      const instances: InstanceView[] = [];
      const pages = paginateDescribeInstances(
        { client },
        {
          Filters: [
            { Name: `tag:${RUNNER_TAGS.prefix}`, Values: [prefix] },
            { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
          ],
          MaxResults: 1000,
        },
      );
      for await (const page of pages) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            if (instance.InstanceId === undefined) continue;
            const tags = new Map((instance.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
            const installationId = Number(tags.get(RUNNER_TAGS.installationId));
            const view: InstanceView = {
              instanceId: instance.InstanceId,
              state: instance.State?.Name ?? "unknown",
              launchTime: instance.LaunchTime ?? new Date(0),
              pool: tags.get(RUNNER_TAGS.pool),
              owner: tags.get(RUNNER_TAGS.owner),
              installationId: Number.isSafeInteger(installationId) && installationId > 0 ? installationId : undefined,
              instanceProfileArn: instance.IamInstanceProfile?.Arn,
            };
            if (isOwnRunner(view, runnerInstanceProfileArn)) instances.push(view);
          }
        }
      }
      return instances;
    },

    async terminate(instanceIds) {
      for (let start = 0; start < instanceIds.length; start += TERMINATE_CHUNK) {
        await client.send(new TerminateInstancesCommand({ InstanceIds: instanceIds.slice(start, start + TERMINATE_CHUNK) }));
      }
    },
  };
}
