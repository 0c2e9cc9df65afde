import { Fn, TerraformIterator, type IResolvable } from "./cdktf.js";

/**
 * A pool's volumes as one `dynamic "block_device_mappings"` of its launch template: the root volume (size,
 * type, IOPS, throughput from the pool) and the pool's `extra_volumes`, every one encrypted and deleted
 * with the instance. `pools` is the launch template's `for_each` iterator; `rootDeviceName` is the AMI's root
 * device (it depends on the OS: stacks/pools-os.ts), so the settings resize it rather than add a volume.
 */
export function runnerVolumes(pools: TerraformIterator, rootDeviceName: string): IResolvable {
  // One list: cdktf cannot mix a literal block with a dynamic one of the same type.
  const root = {
    device_name: rootDeviceName,
    size: pools.getNumber("root_volume_size"),
    type: pools.getString("root_volume_type"),
    iops: pools.getAny("root_volume_iops"),
    throughput: pools.getAny("root_volume_throughput"),
  };
  const volumes = TerraformIterator.fromList(Fn.concat([[root], pools.getList("extra_volumes")]));
  return volumes.dynamic({
    device_name: volumes.getString("device_name"),
    ebs: {
      encrypted: "true",
      delete_on_termination: "true",
      volume_size: volumes.getNumber("size"),
      volume_type: volumes.getString("type"),
      iops: volumes.getAny("iops"),
      throughput: volumes.getAny("throughput"),
    },
  });
}
