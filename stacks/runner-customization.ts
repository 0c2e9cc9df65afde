import { Construct } from "constructs";
import { Fn, TerraformIterator } from "./cdktf.js";
import { S3Object } from "./aws.js";
import type { PoolMap } from "./pools.js";
import type { RunnerBinariesLocation } from "./runner-binaries.js";
import { POOL_CUSTOMIZATION_FIELDS, POOL_CUSTOMIZATION_KEY_FORMAT } from "../contracts/pool-customization.js";
import { mergeTags } from "./private/tags.js";

/** Props of {@link RunnerCustomization}. */
export interface RunnerCustomizationProps {
  /** The pools; one document each. */
  readonly pools: PoolMap;
  /** The bucket the runner role already reads (RunnerBinaries.grantReadRunner covers the prefix). */
  readonly bucket: RunnerBinariesLocation;
  /**
   * Tags of the documents.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * One customization document per pool (contracts/pool-customization.ts) in the runner binaries bucket,
 * at `pools/<pool>/customization.json`: the bootstraps fetch it at boot, so scripts of any size stay out
 * of the 16 KB user data. Encrypted like the bucket (its default encryption).
 */
export class RunnerCustomization extends Construct {
  readonly documents: S3Object;

  constructor(scope: Construct, id: string, props: RunnerCustomizationProps) {
    super(scope, id);
    const pools = TerraformIterator.fromMap(props.pools);
    const document = Object.fromEntries(POOL_CUSTOMIZATION_FIELDS.map((field) => [field, pools.getAny(field)]));
    this.documents = new S3Object(this, "document", {
      forEach: pools,
      bucket: props.bucket.bucketName,
      key: Fn.format(POOL_CUSTOMIZATION_KEY_FORMAT, [pools.key]),
      content: Fn.jsonencode(document),
      contentType: "application/json",
      tags: mergeTags(props.tags ?? {}, { "self-runners:pool": pools.key }),
    });
  }
}
