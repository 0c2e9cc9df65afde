import { Construct } from "constructs";
import { AssetType, Fn, TerraformAsset } from "./cdktf.js";
import { LambdaLayerVersion } from "./aws.js";

/** Props of {@link SharedLayer}. */
export interface SharedLayerProps {
  /** Layer name. */
  readonly layerName: string;
  /** Path of dist/layers/shared.zip, built by layers/build.ts. */
  readonly zipPath: string;
}

/**
 * The layer every function attaches: lambdas/shared with Octokit and Powertools, bundled once as
 * `@self-runners/shared`, so each handler zip holds only its own code.
 */
export class SharedLayer extends Construct {
  readonly layer: LambdaLayerVersion;

  constructor(scope: Construct, id: string, props: SharedLayerProps) {
    super(scope, id);
    const code = new TerraformAsset(this, "code", { path: props.zipPath, type: AssetType.FILE });
    this.layer = new LambdaLayerVersion(this, "version", {
      layerName: props.layerName,
      description: "self-runners shared code: Octokit, Powertools, config",
      filename: code.path,
      sourceCodeHash: Fn.filebase64sha256(code.path),
      compatibleRuntimes: ["nodejs22.x"],
      compatibleArchitectures: ["arm64", "x86_64"],
    });
  }

  /** The layer version ARN to attach to functions. */
  get layerArn(): string {
    return this.layer.arn;
  }
}
