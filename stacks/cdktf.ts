/**
 * The one place the app's constructs import the CDKTF core library from. CDKTF was deprecated
 * upstream in December 2025; its community continuation is CDK Terrain (`cdktn`). Switching means
 * changing this file, stacks/aws.ts (provider bindings) and the one `App` import in
 * stacks/emit/emit-module.ts: the emitter reads only the synthesized JSON and prints its own HCL.
 */
export {
  App,
  Aspects,
  AssetType,
  DefaultTokenResolver,
  Fn,
  Lazy,
  LocalBackend,
  Op,
  StringConcat,
  TerraformAsset,
  TerraformElement,
  TerraformIterator,
  TerraformLocal,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
  Testing,
  Token,
  Tokenization,
} from "cdktf";
export type { IAspect, IResolvable, ITerraformDependable, TerraformVariableConfig } from "cdktf";
