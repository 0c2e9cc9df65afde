import { Fn } from "../cdktf.js";

/** One IAM policy statement; `Resource` and `Condition` values may be tokens. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: "Allow" | "Deny";
  /** Only in resource policies (bucket and key policies); identity policies have none. */
  readonly Principal?: "*" | Record<string, string | string[]>;
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * A policy document as a Terraform `jsonencode(...)` expression. Always go through this rather than
 * JSON.stringify: cdktf's HCL renderer does not escape quotes inside plain strings, and jsonencode also
 * keeps IAM policy variables such as `${ec2:SourceInstanceARN}` literal (rendered as `$${...}`).
 */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return Fn.jsonencode({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({ Effect: "Allow", ...s })),
  });
}

/** The trust policy that lets an AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
  return Fn.jsonencode({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/**
 * The condition every runner-role statement carries: the credentials are an instance's of the kit's VPC
 * (`aws:ec2InstanceSourceVPC`) and, when the request comes through a VPC endpoint, are used from that
 * instance's own address. Credentials copied off a runner are then useless elsewhere (issue 18, finding 10).
 */
export function runnerCredentialsCondition(vpcId: string): { StringEquals: Record<string, string>; StringEqualsIfExists: Record<string, string> } {
  return {
    StringEquals: { "aws:ec2InstanceSourceVPC": vpcId },
    // Present only through a VPC endpoint: then the request must come from the instance itself.
    StringEqualsIfExists: { "aws:SourceVpc": "${aws:ec2InstanceSourceVPC}", "aws:VpcSourceIp": "${aws:ec2InstanceSourcePrivateIPv4}" },
  };
}
