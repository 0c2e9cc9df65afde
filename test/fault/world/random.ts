import { randomUUID } from "node:crypto";

/**
 * A small seeded generator (mulberry32): the world's randomness must repeat from run to run, and each
 * double draws from its own stream so that adding a fault to one does not shift the others' draws.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let idStream: (() => number) | undefined;

/** Seeds worldUuid() for a world (undefined: real random UUIDs again). */
export function seedWorldIds(seed: number | undefined): void {
  idStream = seed === undefined ? undefined : mulberry32(seed ^ 0x5eed1d5);
}

/**
 * A version-4 UUID from the world's id stream: message ids, receipt handles and delivery ids become
 * DynamoDB keys, and a scan lists items in the order of their keys' hashes, so random ids would make
 * the reconciler meet them in another order on every run.
 */
export function worldUuid(): string {
  return idStream === undefined ? randomUUID() : uuidFrom(idStream);
}

/** A version-4 UUID drawn from `draw`. */
export function uuidFrom(draw: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(draw() * 256));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
