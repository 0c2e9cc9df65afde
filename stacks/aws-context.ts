import { Construct } from "constructs";
import { DataAwsCallerIdentity, DataAwsPartition, DataAwsRegion } from "./aws.js";

/**
 * Partition, region and account of the deployment, read once per stack so ARNs can be built
 * without wildcards.
 */
export class AwsContext extends Construct {
  /** e.g. `aws`, `aws-cn`. */
  readonly partition: string;
  /** e.g. `eu-west-1`. */
  readonly region: string;
  /** The 12-digit account id. */
  readonly accountId: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.partition = new DataAwsPartition(this, "partition").partition;
    // `id` is the region name on both provider majors; `name` is deprecated in 6.x and `region` is absent from 5.x.
    this.region = new DataAwsRegion(this, "region").id;
    this.accountId = new DataAwsCallerIdentity(this, "account").accountId;
  }

  /** `arn:<partition>:<service>:<region>:<account>:<resource>`. */
  arn(service: string, resource: string): string {
    return `arn:${this.partition}:${service}:${this.region}:${this.accountId}:${resource}`;
  }
}
