import { join } from "node:path";
import { Construct } from "constructs";
import { CACHE_AGENT_BUNDLE, CACHE_AGENT_OBJECT_KEY } from "../../contracts/build-cache.js";
import { AssetType, Fn, TerraformAsset } from "../cdktf.js";
import { IamRolePolicy, S3Object, type IamRole } from "../aws.js";
import { policyDocument, runnerCredentialsCondition } from "../private/iam.js";
import { templatePath } from "../templates/template-file.js";
import { ACTIONS_REDIRECT_OBJECT_KEY } from "./cache-clients.js";

/** The agent bundle below a dist directory: CACHE_AGENT_BUNDLE is `dist/<path>` from the repository root. */
export function cacheAgentBundlePath(distDir: string): string {
  return join(distDir, CACHE_AGENT_BUNDLE.replace(/^dist\//, ""));
}

/** Props of {@link CacheAgentObject}. */
export interface CacheAgentObjectProps {
  /** `count` of the object and the runner's read grant: 1 with the build cache on. */
  readonly count: number;
  /** Folder of the build output holding the bundle (`npm run build:lambdas`). */
  readonly distDir: string;
  /** The runner binaries bucket, which runners already read at boot. */
  readonly bucketName: string;
  readonly bucketArn: string;
  /**
   * Tags of the object.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * The cache agent's single-file bundle, uploaded at CACHE_AGENT_OBJECT_KEY of the runner binaries bucket
 * (encrypted like the bucket) and replaced whenever its bytes change, with the Actions cache redirect beside
 * it; the bootstrap downloads the bundle and runs it with the runner's own Node, and sources the redirect.
 */
export class CacheAgentObject extends Construct {
  readonly object: S3Object;
  /** The Actions cache redirect the bootstrap sources (docs/build-cache-actions.md). */
  readonly redirect: S3Object;
  private readonly props: CacheAgentObjectProps;

  constructor(scope: Construct, id: string, props: CacheAgentObjectProps) {
    super(scope, id);
    this.props = props;
    const bundle = new TerraformAsset(this, "bundle", { path: cacheAgentBundlePath(props.distDir), type: AssetType.FILE });
    this.object = new S3Object(this, "object", {
      count: props.count,
      bucket: props.bucketName,
      key: CACHE_AGENT_OBJECT_KEY,
      source: bundle.path,
      // etag is not the MD5 of an SSE-KMS object; source_hash replaces the object when the bundle changes.
      sourceHash: Fn.filemd5(bundle.path),
      contentType: "text/javascript",
      tags: props.tags ?? {},
    });
    const redirect = new TerraformAsset(this, "actions-redirect-script", { path: templatePath("actions-cache-redirect.sh"), type: AssetType.FILE });
    this.redirect = new S3Object(this, "actions-redirect", {
      count: props.count,
      bucket: props.bucketName,
      key: ACTIONS_REDIRECT_OBJECT_KEY,
      source: redirect.path,
      sourceHash: Fn.filemd5(redirect.path),
      contentType: "text/x-shellscript",
      tags: props.tags ?? {},
    });
  }

  /** s3:GetObject of the agent bundle's and the redirect's keys only, with instance credentials of the kit's VPC. */
  grantRead(role: IamRole, vpcId: string): IamRolePolicy {
    return new IamRolePolicy(this, "runner-read", {
      count: this.props.count,
      role: role.id,
      name: "cache-agent",
      policy: policyDocument([
        { Sid: "ReadCacheAgent", Action: ["s3:GetObject"], Resource: [CACHE_AGENT_OBJECT_KEY, ACTIONS_REDIRECT_OBJECT_KEY].map((key) => `${this.props.bucketArn}/${key}`), Condition: runnerCredentialsCondition(vpcId) },
      ]),
    });
  }
}
