import { Fn } from "./cdktf.js";

/** Inputs of the NAT instance boot script; values may be Terraform expressions. */
export interface NatBootstrapOptions {
  /** This AZ's private route tables, separated by spaces (may be empty). */
  readonly routeTableIds: string;
  /** Region of the instance (for the AWS CLI). */
  readonly region: string;
}

/** Where cloud-init runs scripts at every boot; the user data copies itself there. */
export const NAT_PER_BOOT_SCRIPT = "/var/lib/cloud/scripts/per-boot/self-runners-nat.sh";

/**
 * User data of a NAT instance (Amazon Linux 2023). It turns on forwarding, masquerades traffic from
 * the VPC's CIDR blocks out of the primary interface (nftables, iptables where nft is missing),
 * switches off the instance's own source/destination check (an Auto Scaling group cannot set it),
 * and gives each of its AZ's route tables a default route through its ENI when the table has none
 * or a dead one (a working route is left to the failover function, which moves it after a hold-down).
 * The source/destination check goes off only after forwarding works: the failover function reads it
 * as "this NAT is ready". Idempotent; it copies itself to cloud-init's per-boot directory so a reboot
 * restores the non-persistent parts. Like the runner bootstrap, it avoids `${`, `%{` and backslashes.
 */
export function natBootstrapScript(o: NatBootstrapOptions): string {
  return template(o, terraformJoin);
}

/** The same script with plain values, as an instance would receive it (for tests and reviews). */
export function renderNatBootstrap(o: NatBootstrapOptions): string {
  return template(o, (literals, ...values) => literals.reduce((out, literal, i) => out + literal + (values[i] ?? ""), ""));
}

type Join = (literals: TemplateStringsArray, ...values: string[]) => string;

function template(o: NatBootstrapOptions, script: Join): string {
  return script`#!/bin/bash
# self-runners NAT instance: forward and masquerade the VPC's traffic, switch off this instance's
# source/destination check, claim this AZ's route tables when their default route is missing or dead.
set -euo pipefail
exec > >(tee -a /var/log/self-runners-nat.log | logger -t self-runners-nat) 2>&1

ROUTE_TABLES='${o.routeTableIds}'
REGION='${o.region}'
PER_BOOT=${NAT_PER_BOOT_SCRIPT}

if [ "$0" != "$PER_BOOT" ]; then
  mkdir -p "$(dirname "$PER_BOOT")"
  cp "$0" "$PER_BOOT"
  chmod 755 "$PER_BOOT"
fi

TOKEN=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)
imds() { curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }
INSTANCE_ID=$(imds instance-id)
MAC=$(imds mac)
ENI_ID=$(imds "network/interfaces/macs/$MAC/interface-id")
VPC_CIDRS=$(imds "network/interfaces/macs/$MAC/vpc-ipv4-cidr-blocks" | paste -sd, -)
IFACE=$(ip -o route show default | awk '{print $5; exit}')

# 1. Forwarding; sysctl.d is read again at every boot.
cat > /etc/sysctl.d/90-self-runners-nat.conf <<'SYSCTL'
net.ipv4.ip_forward = 1
net.ipv4.conf.all.send_redirects = 0
net.ipv4.ip_local_port_range = 1024 65535
SYSCTL
sysctl -q -p /etc/sysctl.d/90-self-runners-nat.conf

# 2. Masquerade what the VPC sends out through this interface.
command -v nft >/dev/null || dnf install -y -q nftables || true
if command -v nft >/dev/null; then
  nft delete table ip self_runners_nat 2>/dev/null || true
  nft add table ip self_runners_nat
  nft add chain ip self_runners_nat postrouting '{ type nat hook postrouting priority srcnat ; policy accept ; }'
  nft add rule ip self_runners_nat postrouting oifname "$IFACE" ip saddr "{ $VPC_CIDRS }" masquerade
else
  for cidr in $(echo "$VPC_CIDRS" | tr , ' '); do
    iptables -t nat -C POSTROUTING -o "$IFACE" -s "$cidr" -j MASQUERADE 2>/dev/null || iptables -t nat -A POSTROUTING -o "$IFACE" -s "$cidr" -j MASQUERADE
  done
fi

# 3. Forward packets not addressed to this instance. Last: the failover function takes the check
#    being off as the sign that this NAT is ready.
aws ec2 modify-instance-attribute --region "$REGION" --instance-id "$INSTANCE_ID" --no-source-dest-check

# 4. Tables without a default route, or with one to a vanished target, get this ENI.
for rtb in $ROUTE_TABLES; do
  state=$(aws ec2 describe-route-tables --region "$REGION" --route-table-ids "$rtb" --query "RouteTables[0].Routes[?DestinationCidrBlock=='0.0.0.0/0'].State | [0]" --output text)
  case "$state" in
    active) echo "$rtb: default route active, left to the failover function" ;;
    blackhole) aws ec2 replace-route --region "$REGION" --route-table-id "$rtb" --destination-cidr-block 0.0.0.0/0 --network-interface-id "$ENI_ID" ;;
    *) aws ec2 create-route --region "$REGION" --route-table-id "$rtb" --destination-cidr-block 0.0.0.0/0 --network-interface-id "$ENI_ID" ;;
  esac
done
echo "NAT ready: $INSTANCE_ID ($ENI_ID) masquerades $VPC_CIDRS out of $IFACE"
`;
}

/** Literal text through Fn.rawString, values as Terraform expressions, joined with join("") (see runner-bootstrap.ts). */
function terraformJoin(literals: TemplateStringsArray, ...values: string[]): string {
  const parts: string[] = [];
  literals.forEach((literal, i) => {
    if (literal !== "") parts.push(Fn.rawString(literal));
    if (i < values.length) parts.push(values[i]);
  });
  return Fn.join("", parts);
}
