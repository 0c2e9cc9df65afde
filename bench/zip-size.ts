// Bytes a cold start downloads and unpacks: each shipped zip (dist/, from npm run build:lambdas), the
// share of it that is source maps, and for the webhook the layer it also loads (read from the emitted
// module, so the figure follows what ships).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { MODULE_DIR } from "../stacks/build-module.js";
import { REPO_ROOT } from "../test/helpers/paths.js";
import type { BenchGroup, Figure } from "./figures.js";

const WEBHOOK_ZIP_TARGET = 200 * 1024;

/** Compressed bytes of the whole zip file and of its `.map` entries. */
function zipBytes(path: string): { bytes: number; mapBytes: number } {
  const bytes = readFileSync(path);
  let mapBytes = 0;
  // fflate's filter sees each entry's compressed size; nothing is inflated.
  unzipSync(new Uint8Array(bytes), {
    filter: (file) => {
      if (file.name.endsWith(".map")) mapBytes += file.size;
      return false;
    },
  });
  return { bytes: bytes.length, mapBytes };
}

function usesSharedLayer(fn: string): boolean {
  const tf = join(REPO_ROOT, MODULE_DIR, `${fn}.tf`);
  try {
    // `layers = []` (the lean webhook) loads none: only a non-empty list counts.
    return /^\s*layers\s*=\s*\[\s*[^\]\s]/m.test(readFileSync(tf, "utf8"));
  } catch {
    return false;
  }
}

export const zipSizes: BenchGroup = {
  name: "zip bytes per function",
  async run() {
    const dir = join(REPO_ROOT, "dist", "lambdas");
    const layer = zipBytes(join(REPO_ROOT, "dist", "layers", "shared.zip"));
    const figures: Figure[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".zip")).sort()) {
      const fn = file.replace(/\.zip$/, "");
      const zip = zipBytes(join(dir, file));
      const withLayer = usesSharedLayer(fn);
      const share = `${Math.round((100 * zip.mapBytes) / zip.bytes)} % source maps${withLayer ? `, + ${layer.bytes.toLocaleString("en-US")} B layer` : ", no layer"}`;
      figures.push({ id: `zip.${fn}.bytes`, label: `${fn} zip`, value: zip.bytes, unit: "B", note: share, ...(fn === "webhook" ? { target: WEBHOOK_ZIP_TARGET } : {}) });
      figures.push({ id: `zip.${fn}.source-map-share`, label: `${fn} zip: source-map share`, value: Math.round((1000 * zip.mapBytes) / zip.bytes) / 10, unit: "%" });
      if (fn === "webhook") {
        figures.push({
          id: "zip.webhook.with-layer.bytes",
          label: "webhook: zip + layer a cold start loads",
          value: zip.bytes + (withLayer ? layer.bytes : 0),
          unit: "B",
          target: WEBHOOK_ZIP_TARGET,
        });
      }
    }
    figures.push({ id: "zip.shared-layer.bytes", label: "shared layer zip", value: layer.bytes, unit: "B", note: `${Math.round((100 * layer.mapBytes) / layer.bytes)} % source maps` });
    return figures;
  },
};
