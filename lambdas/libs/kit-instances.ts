import { paginateDescribeInstances, type EC2Client, type Instance } from "@aws-sdk/client-ec2";

/** The EC2 states in which an instance still counts against the fleet (and the reconciler looks at it). */
export const COUNTED_INSTANCE_STATES = ["pending", "running", "stopping", "stopped"];

/**
 * Every instance whose `prefixTag` (RUNNER_TAGS.prefix) is `prefix`, in a counted state, page by page. The
 * tag key is an argument so that the operator CLI shares this without bundling lambdas/shared (Powertools).
 */
export async function* kitInstances(client: EC2Client, prefixTag: string, prefix: string): AsyncGenerator<Instance & { InstanceId: string }> {
  const pages = paginateDescribeInstances(
    { client },
    {
      Filters: [
        { Name: `tag:${prefixTag}`, Values: [prefix] },
        { Name: "instance-state-name", Values: COUNTED_INSTANCE_STATES },
      ],
      MaxResults: 1000,
    },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (instance.InstanceId !== undefined) yield { ...instance, InstanceId: instance.InstanceId };
      }
    }
  }
}
