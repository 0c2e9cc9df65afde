// Builds the app, synthesizes it and emits the Terraform module (run by `npm run build` and cdktf.json).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildModule } from "./stacks/build-module.js";

const result = buildModule({ repoRoot: dirname(fileURLToPath(import.meta.url)) });
console.log(`emitted ${result.files.length} files into ${result.outDir}`);
