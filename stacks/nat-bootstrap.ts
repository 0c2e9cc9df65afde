import { readFileSync } from "node:fs";
import type { Construct } from "constructs";
import { renderTemplate, templateFile, templatePath } from "./templates/template-file.js";

/** The NAT instance's user data, a template rendered by Terraform's templatefile(). */
export const NAT_BOOTSTRAP_TEMPLATE = "nat-bootstrap.sh.tftpl";

/** Inputs of the NAT instance boot script; values may be Terraform expressions. */
export interface NatBootstrapOptions {
  /** This AZ's private route tables, separated by spaces (may be empty). */
  readonly routeTableIds: string;
  /** Region of the instance (for the AWS CLI). */
  readonly region: string;
}

/** Where cloud-init runs scripts at every boot; the user data copies itself there (written in the template). */
export const NAT_PER_BOOT_SCRIPT = "/var/lib/cloud/scripts/per-boot/self-runners-nat.sh";

/**
 * User data of a NAT instance (Amazon Linux 2023), templates/nat-bootstrap.sh.tftpl through
 * templatefile(). It turns on forwarding, masquerades traffic from the VPC's CIDR blocks out of the
 * primary interface (nftables, iptables where nft is missing), switches off the instance's own
 * source/destination check (an Auto Scaling group cannot set it), and gives each of its AZ's route
 * tables a default route through its ENI when the table has none or a dead one (a working route is
 * left to the failover function, which moves it after a hold-down). The source/destination check
 * goes off only after forwarding works: the failover function reads it as "this NAT is ready".
 * Idempotent; it copies itself to cloud-init's per-boot directory so a reboot restores the
 * non-persistent parts.
 */
export function natBootstrapScript(scope: Construct, o: NatBootstrapOptions): string {
  return templateFile(scope, "bootstrap-template", NAT_BOOTSTRAP_TEMPLATE, templateVars(o));
}

/** The same script with plain values, as an instance would receive it (for tests and reviews). */
export function renderNatBootstrap(o: NatBootstrapOptions): string {
  return renderTemplate(readFileSync(templatePath(NAT_BOOTSTRAP_TEMPLATE), "utf8"), templateVars(o));
}

function templateVars(o: NatBootstrapOptions): Record<string, string> {
  return { route_table_ids: o.routeTableIds, region: o.region };
}
