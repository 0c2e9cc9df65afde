// dynalite ships no types; the tests use only its server factory.
declare module "dynalite" {
  import type { Server } from "node:http";
  export default function dynalite(options?: Record<string, unknown>): Server;
}

// s3rver ships no types; the tests start and stop one server with prefabricated buckets.
declare module "s3rver" {
  import type { AddressInfo } from "node:net";
  export default class S3rver {
    constructor(options: Record<string, unknown>);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
