// Writes the "Lambda environment variables" section of docs/contracts.md from contracts/ (npm run docs:contracts).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GENERATED_BEGIN, GENERATED_END, renderEnvironmentDocs, replaceGeneratedSection } from "../contracts/docs.js";

const path = join(fileURLToPath(new URL("..", import.meta.url)), "docs", "contracts.md");
const markdown = readFileSync(path, "utf8");
if (!markdown.includes(GENERATED_BEGIN) || !markdown.includes(GENERATED_END)) {
  throw new Error(`${path} lacks the markers ${GENERATED_BEGIN} ... ${GENERATED_END}: put them where the section belongs`);
}
writeFileSync(path, replaceGeneratedSection(markdown, renderEnvironmentDocs()));
console.log(`wrote the environment section of ${path}`);
