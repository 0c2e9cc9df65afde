# The runs of network.tftest.hcl that must apply: they read security group ids (and the endpoint group's computed egress), unknown at plan even under mocks.
# Mock values come at apply here (no override_during = plan): a file that applies with values mocked
# at plan gets "Provider produced inconsistent final plan".
# Networking: VPC endpoints and NAT instances with per-AZ failover, off by default, on in several
# combinations, and refused for inputs that cannot work.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  github_app_id     = "123456"
  vpc_id            = "vpc-0123456789abcdef0"
  runner_subnet_ids = ["subnet-0123456789abcdef0"]
  pools = {
    linux = {
      labels         = ["linux"]
      instance_types = ["m7i.large"]
    }
  }
}

run "vpc_endpoints_on" {
  # apply: the endpoint security group's id and its computed egress rules are unknown at plan, even under mocks.
  command = apply
  variables {
    create_vpc_endpoints         = true
    vpc_endpoint_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaa2", "subnet-0bbbbbbbbbbbbbbb2"]
    vpc_endpoint_route_table_ids = ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb1"]
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.vpc_endpoints_interface)) == toset(["sqs", "ssm", "ec2", "logs", "sts", "kms"])
    error_message = "One interface endpoint per default service."
  }
  assert {
    condition = alltrue([
      for svc, e in aws_vpc_endpoint.vpc_endpoints_interface :
      e.service_name == "com.amazonaws.eu-west-1.${svc}" && e.vpc_endpoint_type == "Interface" && e.private_dns_enabled && e.vpc_id == "vpc-0123456789abcdef0"
      && toset(e.subnet_ids) == toset(["subnet-0aaaaaaaaaaaaaaa2", "subnet-0bbbbbbbbbbbbbbb2"]) && e.security_group_ids == toset([aws_security_group.vpc_endpoints_security_group[0].id])
    ])
    error_message = "Interface endpoints have private DNS, sit in the given subnets and behind the endpoint security group."
  }
  assert {
    condition = alltrue([
      for rule in aws_security_group.vpc_endpoints_security_group[0].ingress :
      rule.protocol == "tcp" && rule.from_port == 443 && rule.to_port == 443 && toset(rule.cidr_blocks) == toset(["10.0.0.0/16", "100.64.0.0/16"]) && length(rule.security_groups) == 0
    ]) && length(aws_security_group.vpc_endpoints_security_group[0].ingress) == 1
    error_message = "The endpoints admit HTTPS from every CIDR block of the VPC, nothing else."
  }
  assert {
    condition     = length(aws_security_group.vpc_endpoints_security_group[0].egress) == 0
    error_message = "The endpoint security group allows no egress."
  }
  assert {
    condition = keys(aws_vpc_endpoint.vpc_endpoints_gateway) == ["dynamodb", "s3"] && aws_vpc_endpoint.vpc_endpoints_gateway["dynamodb"].vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.vpc_endpoints_gateway["dynamodb"].service_name == "com.amazonaws.eu-west-1.dynamodb" && toset(aws_vpc_endpoint.vpc_endpoints_gateway["dynamodb"].route_table_ids) == toset(["rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb1"])
    error_message = "DynamoDB and S3 gateway endpoints (S3: the runner binaries) on the given route tables."
  }
  assert {
    condition     = length(output.vpc_endpoint_ids) == 8 && output.vpc_endpoint_security_group_id == aws_security_group.vpc_endpoints_security_group[0].id
    error_message = "The outputs list every endpoint and the security group."
  }
  assert {
    condition     = length(aws_autoscaling_group.nat_asg) == 0 && length(aws_lambda_function.nat_failover_function) == 0
    error_message = "Endpoints alone create no NAT."
  }
}

run "nat_instances_in_two_azs" {
  # apply: the NAT security group's id is unknown at plan, even under mocks.
  command = apply
  variables {
    create_vpc_endpoints         = true
    vpc_endpoint_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaa2", "subnet-0bbbbbbbbbbbbbbb2"]
    vpc_endpoint_route_table_ids = ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2", "rtb-0bbbbbbbbbbbbbbb1"]
    enable_nat_instances         = true
    nat_instance_subnet_ids      = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1", "eu-west-1b" = "subnet-0bbbbbbbbbbbbbbb1" }
    nat_private_route_table_ids  = { "eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"], "eu-west-1b" = ["rtb-0bbbbbbbbbbbbbbb1"] }
    nat_probe_subnet_ids         = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa2", "eu-west-1b" = "subnet-0bbbbbbbbbbbbbbb2" }
  }

  assert {
    condition = alltrue([
      for az, subnet in { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1", "eu-west-1b" = "subnet-0bbbbbbbbbbbbbbb1" } :
      aws_autoscaling_group.nat_asg[az].min_size == 1 && aws_autoscaling_group.nat_asg[az].max_size == 1 && aws_autoscaling_group.nat_asg[az].desired_capacity == 1
      && aws_autoscaling_group.nat_asg[az].vpc_zone_identifier == toset([subnet]) && aws_autoscaling_group.nat_asg[az].name == "self-runners-nat-${az}"
      && aws_autoscaling_group.nat_asg[az].launch_template[0].id == aws_launch_template.nat_launch_template[az].id
    ])
    error_message = "One Auto Scaling group of exactly one instance per AZ, in that AZ's public subnet, from that AZ's template."
  }
  assert {
    condition = alltrue([
      for lt in aws_launch_template.nat_launch_template :
      lt.instance_type == "c6gn.medium" && lt.image_id == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
      && lt.metadata_options[0].http_tokens == "required" && lt.block_device_mappings[0].ebs[0].encrypted == "true"
      && lt.network_interfaces[0].associate_public_ip_address == "true" && lt.network_interfaces[0].security_groups == toset([aws_security_group.nat_security_group[0].id])
    ])
    error_message = "Templates: c6gn.medium, AL2023 arm64 from SSM, IMDSv2 required, encrypted root volume, public address, NAT security group."
  }
  assert {
    condition = alltrue([
      strcontains(base64decode(aws_launch_template.nat_launch_template["eu-west-1a"].user_data), "ROUTE_TABLES='rtb-0aaaaaaaaaaaaaaa1 rtb-0aaaaaaaaaaaaaaa2'"),
      strcontains(base64decode(aws_launch_template.nat_launch_template["eu-west-1b"].user_data), "ROUTE_TABLES='rtb-0bbbbbbbbbbbbbbb1'"),
      strcontains(base64decode(aws_launch_template.nat_launch_template["eu-west-1a"].user_data), "--no-source-dest-check"),
    ])
    error_message = "Each instance's boot script knows its own AZ's route tables and switches off its source/destination check."
  }
  assert {
    condition = alltrue([
      for lt in aws_launch_template.nat_launch_template : alltrue([
        for spec in lt.tag_specifications : spec.tags["self-runners:nat"] == "self-runners" && !contains(keys(spec.tags), "self-runners:prefix")
      ])
    ])
    error_message = "NAT instances carry self-runners:nat and never self-runners:prefix (the reconciler would terminate them)."
  }
  assert {
    condition = alltrue(concat(
      [for rule in aws_security_group.nat_security_group[0].ingress : contains(["tcp", "udp", "icmp"], rule.protocol) && toset(rule.cidr_blocks) == toset(["10.0.0.0/16", "100.64.0.0/16"])],
      [for rule in aws_security_group.nat_security_group[0].egress : rule.protocol == "-1" && toset(rule.cidr_blocks) == toset(["0.0.0.0/0"])],
    )) && toset([for rule in aws_security_group.nat_security_group[0].ingress : rule.protocol]) == toset(["tcp", "udp", "icmp"]) && length(aws_security_group.nat_security_group[0].egress) == 1
    error_message = "The NAT security group admits TCP, UDP and ICMP from the VPC only, and allows all egress."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.nat_boot[0].policy).Statement : [s.Sid, s.Action, s.Resource]
      ] == [
      ["SwitchOffOwnSourceDestCheck", ["ec2:ModifyInstanceAttribute"], "arn:aws:ec2:eu-west-1:123456789012:instance/*"],
      ["ReadRouteTables", ["ec2:DescribeRouteTables"], "*"],
      ["ClaimPrivateRoutes", ["ec2:CreateRoute", "ec2:ReplaceRoute"], [
        "arn:aws:ec2:eu-west-1:123456789012:route-table/rtb-0aaaaaaaaaaaaaaa1",
        "arn:aws:ec2:eu-west-1:123456789012:route-table/rtb-0aaaaaaaaaaaaaaa2",
        "arn:aws:ec2:eu-west-1:123456789012:route-table/rtb-0bbbbbbbbbbbbbbb1",
      ]],
    ]
    error_message = "The instance role may only switch off the check on NAT-tagged instances, read route tables and set routes of the given tables."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.nat_boot[0].policy).Statement[0].Condition.StringEquals["ec2:ResourceTag/self-runners:nat"] == "self-runners"
    error_message = "ModifyInstanceAttribute is limited to instances tagged as this kit's NAT."
  }
  assert {
    condition = alltrue([
      for az, f in aws_lambda_function.nat_failover_function :
      f.function_name == "self-runners-nat-failover-${az}" && f.environment[0].variables.AZ == az && f.timeout == 70
      && f.environment[0].variables.ROUTE_TABLE_IDS == jsonencode(var.nat_private_route_table_ids[az])
      && f.vpc_config[0].subnet_ids == toset([var.nat_probe_subnet_ids[az]]) && f.environment[0].variables.STANDBY_NAT_GATEWAY_ID == ""
      && f.environment[0].variables.NAT_PROBE_URLS == jsonencode(["https://api.github.com", "https://checkip.amazonaws.com"])
      && f.environment[0].variables.NAT_PROBE_INTERVAL_SECONDS == "5" && f.environment[0].variables.NAT_FAILURE_THRESHOLD == "3" && f.environment[0].variables.NAT_FAILBACK_HOLD_DOWN_SECONDS == "300"
    ])
    error_message = "One failover function per AZ, in that AZ's probe subnet, managing that AZ's route tables with the default probe settings."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.nat_failover_policy[0].policy).Statement : s.Resource if contains(s.Action, "ec2:ReplaceRoute")
      ] == [[
      "arn:aws:ec2:eu-west-1:123456789012:route-table/rtb-0aaaaaaaaaaaaaaa1",
      "arn:aws:ec2:eu-west-1:123456789012:route-table/rtb-0aaaaaaaaaaaaaaa2",
      "arn:aws:ec2:eu-west-1:123456789012:route-table/rtb-0bbbbbbbbbbbbbbb1",
    ]]
    error_message = "The failover may ReplaceRoute on the given route tables only."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.nat_failover_policy[0].policy).Statement : s.Action if s.Resource == "*"
      ])) == toset(["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
    "ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:DescribeRouteTables", "ec2:DescribeNatGateways"])
    error_message = "Everything else the failover may do on any resource is reading, plus the ENIs Lambda needs in a VPC."
  }
  assert {
    condition = alltrue([for az, r in aws_cloudwatch_event_rule.nat_failover_schedule : r.schedule_expression == "rate(1 minute)"]) && alltrue([
      for az, r in aws_cloudwatch_event_rule.nat_failover_state_change :
      jsondecode(r.event_pattern) == { source = ["aws.ec2"], "detail-type" = ["EC2 Instance State-change Notification"], detail = { state = ["stopping", "stopped", "shutting-down", "terminated"] } }
    ])
    error_message = "Each function runs every minute and on EC2 stop/terminate events."
  }
  assert {
    condition     = alltrue([for az, t in aws_cloudwatch_event_target.nat_failover_state_change_target : t.arn == aws_lambda_function.nat_failover_function[az].arn && t.rule == aws_cloudwatch_event_rule.nat_failover_state_change[az].name])
    error_message = "Each AZ's rules invoke that AZ's function."
  }
  assert {
    condition = output.nat_autoscaling_group_names == { "eu-west-1a" = "self-runners-nat-eu-west-1a", "eu-west-1b" = "self-runners-nat-eu-west-1b" } && output.nat_security_group_id == aws_security_group.nat_security_group[0].id && output.nat_failover_function_names == { "eu-west-1a" = "self-runners-nat-failover-eu-west-1a", "eu-west-1b" = "self-runners-nat-failover-eu-west-1b" }
    error_message = "The outputs name the groups, the security group and the functions."
  }
}
