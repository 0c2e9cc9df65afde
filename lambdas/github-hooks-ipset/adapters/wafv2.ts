import { GetIPSetCommand, UpdateIPSetCommand } from "@aws-sdk/client-wafv2";
import type { WAFV2Client } from "@aws-sdk/client-wafv2";
import { IpSetLockConflictError } from "../../shared/index.js";

/** Which IP set: WAFv2 names a set by name, id and scope together. */
export interface IpSetRef {
  readonly name: string;
  readonly id: string;
  readonly scope: "REGIONAL" | "CLOUDFRONT";
}

/** An IP set as read, with the token an update must present. */
export interface IpSetSnapshot {
  readonly addresses: readonly string[];
  readonly lockToken: string;
  readonly description?: string;
}

export interface IpSetStore {
  get(ref: IpSetRef): Promise<IpSetSnapshot>;
  /** Replaces the addresses; throws IpSetLockConflictError when the set changed since `read`. */
  update(ref: IpSetRef, read: IpSetSnapshot, addresses: readonly string[]): Promise<void>;
}

export function wafv2IpSetStore(client: WAFV2Client): IpSetStore {
  return {
    async get(ref) {
      const answer = await client.send(new GetIPSetCommand({ Name: ref.name, Id: ref.id, Scope: ref.scope }));
      if (answer.LockToken === undefined) throw new Error(`GetIPSet of ${ref.name} returned no lock token`);
      return { addresses: answer.IPSet?.Addresses ?? [], lockToken: answer.LockToken, description: answer.IPSet?.Description };
    },

    async update(ref, read, addresses) {
      try {
        await client.send(
          new UpdateIPSetCommand({
            Name: ref.name,
            Id: ref.id,
            Scope: ref.scope,
            Addresses: [...addresses],
            LockToken: read.lockToken,
            // UpdateIPSet replaces every mutable field: without it the description Terraform set would be erased.
            Description: read.description,
          }),
        );
      } catch (error) {
        if ((error as { name?: string }).name === "WAFOptimisticLockException") throw new IpSetLockConflictError(ref.name, { cause: error });
        throw error;
      }
    },
  };
}
