import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { Context } from "aws-lambda";
import { childLogger } from "../../shared/index.js";
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
      try {
        return (await idempotent({ deliveryId }, handle)) as Awaited<ReturnType<typeof handle>>;
      } catch (error) {
        if (error instanceof IdempotencyAlreadyInProgressError) {
          return { statusCode: 202, body: { message: "duplicate: delivery is being handled" } } as Awaited<ReturnType<typeof handle>>;
        }
        if (error instanceof IdempotencyPersistenceLayerError) {
          log.error("idempotency store unavailable, handling without it", { error });
          return handle();
        }
        throw error;
      }
    },
    registerContext: (context) => config.registerLambdaContext(context),
  };
}
