import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { Context } from "aws-lambda";
import { childLogger } from "../../shared/core.js";
import type { WebhookAnswer } from "../webhook.js";

const log = childLogger("webhook.idempotency");

/** How long a delivery id is remembered: GitHub lets people redeliver deliveries of the past 3 days. */
export const DELIVERY_MEMORY_SECONDS = 3 * 24 * 60 * 60;

/**
 * Powertools idempotency keyed on X-GitHub-Delivery, stored in the job ledger table (key attribute
 * `pk`, TTL on `expiration`). A delivery seen before gets its first answer back and runs nothing.
 * When the idempotency store itself fails, the delivery is handled anyway: the ledger and scale-up's
 * claim still deduplicate the job, and refusing a genuine delivery could lose it.
 */
export function oncePerDeliveryWithPowertools(client: DynamoDBClient, tableName: string): {
  run: <T extends WebhookAnswer>(deliveryId: string | undefined, handle: () => Promise<T>) => Promise<T>;
  registerContext: (context: Context) => void;
} {
  const config = new IdempotencyConfig({ eventKeyJmesPath: "deliveryId", expiresAfterSeconds: DELIVERY_MEMORY_SECONDS });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName, keyAttr: "pk", awsSdkV3Client: client });
  const idempotent = makeIdempotent(
    async (_delivery: { deliveryId: string }, handle: () => Promise<WebhookAnswer>): Promise<WebhookAnswer> => handle(),
    { persistenceStore, config },
  );
  return {
    async run(deliveryId, handle) {
      if (deliveryId === undefined || deliveryId === "") return handle();
      // The store can fail before the handling (then handle without it) or after it (saving the answer,
      // or deleting the record of a failed handling): then the handling already ran and must not run twice.
      let outcome: { readonly answer: WebhookAnswer } | { readonly error: unknown } | undefined;
      const once = async (): Promise<WebhookAnswer> => {
        try {
          const answer = await handle();
          outcome = { answer };
          return answer;
        } catch (error) {
          outcome = { error };
          throw error;
        }
      };
      try {
        return (await idempotent({ deliveryId }, once)) as Awaited<ReturnType<typeof handle>>;
      } catch (error) {
        if (error instanceof IdempotencyAlreadyInProgressError) {
          return { statusCode: 202, body: { message: "duplicate: delivery is being handled" } } as Awaited<ReturnType<typeof handle>>;
        }
        if (error instanceof IdempotencyPersistenceLayerError) {
          log.error("idempotency store unavailable, handling without it", { error });
          if (outcome === undefined) return handle();
          if ("answer" in outcome) return outcome.answer as Awaited<ReturnType<typeof handle>>;
          throw outcome.error;
        }
        throw error;
      }
    },
    registerContext: (context) => config.registerLambdaContext(context),
  };
}
