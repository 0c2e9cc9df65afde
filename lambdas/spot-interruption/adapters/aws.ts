import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { RUNNER_TAGS } from "../../shared/index.js";
import type { InstanceTags } from "../spot-interruption.js";

export function describeInstanceTags(client: EC2Client): (instanceId: string) => Promise<InstanceTags | undefined> {
  return async (instanceId) => {
    try {
      const response = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = response.Reservations?.[0]?.Instances?.[0];
      if (instance === undefined) return undefined;
      const tags = new Map((instance.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
      const installationId = Number(tags.get(RUNNER_TAGS.installationId));
      return {
        prefix: tags.get(RUNNER_TAGS.prefix),
        owner: tags.get(RUNNER_TAGS.owner),
        installationId: Number.isSafeInteger(installationId) && installationId > 0 ? installationId : undefined,
        pool: tags.get(RUNNER_TAGS.pool),
        jobId: tags.get(RUNNER_TAGS.jobId),
        deliveryId: tags.get(RUNNER_TAGS.deliveryId),
        repository: tags.get(RUNNER_TAGS.repository),
      };
    } catch (error) {
      if ((error as { name?: string }).name === "InvalidInstanceID.NotFound") return undefined;
      throw error;
    }
  };
}
