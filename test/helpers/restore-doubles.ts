import nock from "nock";
import type { LocalDynamoDb } from "./dynalite.js";

// Apart from aws.ts: importing nock patches the global fetch (@mswjs/interceptors), which breaks
// shipped-zip tests that import aws.ts and send request bodies through the real fetch.

/** A handler test's teardown: GitHub (nock) interceptors dropped and the network open again, the SDK mocks restored, dynalite closed. */
export async function restoreDoubles(db: LocalDynamoDb, ...mocks: ReadonlyArray<{ restore(): void }>): Promise<void> {
  nock.cleanAll();
  nock.enableNetConnect();
  for (const mock of mocks) mock.restore();
  await db.close();
}
