export { emitModule, emitSynthesizedModule } from "./emit-module.js";
export type { EmitAssetsOptions, EmitModuleOptions, EmitResult } from "./emit-module.js";
export type { VariableGroup } from "./variable-groups.js";
export type { ModuleFile } from "./configuration.js";
export type { ModuleAsset } from "./assets.js";
export { EmitError } from "./errors.js";
