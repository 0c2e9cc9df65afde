import { Construct } from "constructs";
import { BUILD_CACHE_INDEX_TABLE } from "../../contracts/build-cache.js";
import { Fn } from "../cdktf.js";
import type { DynamodbTable } from "../aws.js";
import { kitTable, type KitTableProps } from "../private/table-access.js";

/** Props of {@link BuildCacheIndex}. */
export interface BuildCacheIndexProps extends KitTableProps {
  /** `count` of the table and its resource policy: 1 with the build cache on. */
  readonly count: number;
}

/**
 * The cache's index (docs/build-cache.md): one partition per scope holding its entries ((protocol, key,
 * version) -> digest, size, branch, created, last access), blobs and reservations, laid out as
 * contracts/build-cache.ts BUILD_CACHE_INDEX_TABLE says. On-demand, encrypted with the kit key, point-in-time
 * recovery like the other kit tables, reservations expiring through TTL, item access for the cache
 * functions only (the resource policy).
 */
export class BuildCacheIndex extends Construct {
  readonly table: DynamodbTable;
  /** The table's name and ARN (through index 0: the table is counted). */
  readonly tableName: string;
  readonly tableArn: string;

  constructor(scope: Construct, id: string, props: BuildCacheIndexProps) {
    super(scope, id);
    const layout = BUILD_CACHE_INDEX_TABLE;
    this.table = kitTable(this, props, layout.ttlAttribute, { partitionKey: layout.partitionKey, sortKey: layout.sortKey, count: props.count });
    this.tableName = Fn.lookupNested(this.table.fqn, ["0", "name"]);
    this.tableArn = Fn.lookupNested(this.table.fqn, ["0", "arn"]);
  }
}
