import { TerminateInstancesCommand, paginateDescribeInstanceStatus } from "@aws-sdk/client-ec2";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { RUNNER_TAGS } from "../../shared/index.js";
import { kitInstances } from "../../libs/kit-instances.js";
import { isOwnRunner, type InstanceView } from "../decide.js";
import type { InstanceStatusView } from "../health.js";

/** TerminateInstances ids per call. */
export const TERMINATE_CHUNK = 100;

export interface InstanceInventory {
  /** Every pending, running, stopping or stopped instance carrying our prefix tag and running with a runner instance profile. */
  list(): Promise<InstanceView[]>;
  terminate(instanceIds: readonly string[]): Promise<void>;
  /** EC2 status checks of these (running) instances; absent: the round checks no health. */
  statuses?(instanceIds: readonly string[]): Promise<InstanceStatusView[]>;
}

/** DescribeInstanceStatus ids per call (the API's limit). */
export const STATUS_CHUNK = 100;

export function ec2InstanceInventory(client: EC2Client, prefix: string, runnerInstanceProfileArns: readonly string[]): InstanceInventory {
  return {
    async list() {
      const instances: InstanceView[] = [];
      for await (const instance of kitInstances(client, RUNNER_TAGS.prefix, prefix)) {
        const tags = new Map((instance.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
        const installationId = Number(tags.get(RUNNER_TAGS.installationId));
        const view: InstanceView = {
          instanceId: instance.InstanceId,
          state: instance.State?.Name ?? "unknown",
          launchTime: instance.LaunchTime ?? new Date(0),
          pool: tags.get(RUNNER_TAGS.pool),
          owner: tags.get(RUNNER_TAGS.owner),
          installationId: Number.isSafeInteger(installationId) && installationId > 0 ? installationId : undefined,
          job: { jobId: tags.get(RUNNER_TAGS.jobId), deliveryId: tags.get(RUNNER_TAGS.deliveryId), repository: tags.get(RUNNER_TAGS.repository) },
          instanceProfileArn: instance.IamInstanceProfile?.Arn,
        };
        if (isOwnRunner(view, runnerInstanceProfileArns)) instances.push(view);
      }
      return instances;
    },

    // By the kit's instance ids (from the tag-filtered DescribeInstances): DescribeInstanceStatus
    // documents no tag filters, and ids keep other instances of the account out of the pages.
    async statuses(instanceIds) {
      const statuses: InstanceStatusView[] = [];
      for (let start = 0; start < instanceIds.length; start += STATUS_CHUNK) {
        const pages = paginateDescribeInstanceStatus({ client }, { InstanceIds: instanceIds.slice(start, start + STATUS_CHUNK) });
        for await (const page of pages) {
          for (const status of page.InstanceStatuses ?? []) {
            if (status.InstanceId === undefined) continue;
            statuses.push({
              instanceId: status.InstanceId,
              instanceStatus: status.InstanceStatus?.Status ?? "not-applicable",
              systemStatus: status.SystemStatus?.Status ?? "not-applicable",
            });
          }
        }
      }
      return statuses;
    },

    async terminate(instanceIds) {
      for (let start = 0; start < instanceIds.length; start += TERMINATE_CHUNK) {
        await client.send(new TerminateInstancesCommand({ InstanceIds: instanceIds.slice(start, start + TERMINATE_CHUNK) }));
      }
    },
  };
}
