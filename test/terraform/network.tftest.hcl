# Networking: VPC endpoints and NAT instances with per-AZ failover, off by default, on in several
# combinations, and refused for inputs that cannot work.
mock_provider "aws" {
  override_during = plan
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

run "network_all_off_by_default" {
  command = plan
  plan_options {
    target = [
      aws_autoscaling_group.nat_asg,
      aws_cloudwatch_event_rule.nat_failover_schedule,
      aws_cloudwatch_event_rule.nat_failover_state_change,
      aws_iam_role.nat_role,
      aws_lambda_function.nat_failover_function,
      aws_launch_template.nat_launch_template,
      aws_security_group.nat_security_group,
      aws_security_group.vpc_endpoints_security_group,
      aws_vpc_endpoint.vpc_endpoints_gateway,
      aws_vpc_endpoint.vpc_endpoints_interface,
    ]
  }

  assert {
    condition = alltrue([
      length(aws_vpc_endpoint.vpc_endpoints_interface) == 0,
      length(aws_vpc_endpoint.vpc_endpoints_gateway) == 0,
      length(aws_security_group.vpc_endpoints_security_group) == 0,
      length(aws_autoscaling_group.nat_asg) == 0,
      length(aws_launch_template.nat_launch_template) == 0,
      length(aws_security_group.nat_security_group) == 0,
      length(aws_iam_role.nat_role) == 0,
      length(aws_lambda_function.nat_failover_function) == 0,
      length(aws_cloudwatch_event_rule.nat_failover_schedule) == 0,
      length(aws_cloudwatch_event_rule.nat_failover_state_change) == 0,
    ])
    error_message = "Nothing of the networking features is created by default."
  }
  assert {
    condition     = output.vpc_endpoint_ids == {} && output.vpc_endpoint_security_group_id == "" && output.nat_autoscaling_group_names == {} && output.nat_security_group_id == "" && output.nat_failover_function_names == {}
    error_message = "The networking outputs are empty when the features are off."
  }
}

run "vpc_endpoints_from_security_groups_with_s3" {
  command = plan
  plan_options {
    target = [aws_security_group.vpc_endpoints_security_group, aws_vpc_endpoint.vpc_endpoints_gateway, aws_vpc_endpoint.vpc_endpoints_interface]
  }
  variables {
    create_vpc_endpoints                   = true
    vpc_endpoint_subnet_ids                = ["subnet-0aaaaaaaaaaaaaaa2"]
    vpc_endpoint_services                  = ["ec2", "ssmmessages"]
    vpc_endpoint_gateway_services          = ["dynamodb", "s3"]
    vpc_endpoint_route_table_ids           = ["rtb-0aaaaaaaaaaaaaaa1"]
    vpc_endpoint_source_security_group_ids = ["sg-0123456789abcdef0"]
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.vpc_endpoints_interface)) == toset(["ec2", "ssmmessages"]) && toset(keys(aws_vpc_endpoint.vpc_endpoints_gateway)) == toset(["dynamodb", "s3"])
    error_message = "The services follow the variables."
  }
  assert {
    condition = alltrue([
      for rule in aws_security_group.vpc_endpoints_security_group[0].ingress :
      length(rule.cidr_blocks) == 0 && rule.security_groups == toset(["sg-0123456789abcdef0"])
    ]) && length(aws_security_group.vpc_endpoints_security_group[0].ingress) == 1
    error_message = "Given source security groups replace the VPC CIDR blocks."
  }
}

run "vpc_endpoints_without_route_tables_create_no_gateway" {
  command = plan
  plan_options {
    target = [aws_vpc_endpoint.vpc_endpoints_gateway, aws_vpc_endpoint.vpc_endpoints_interface]
  }
  variables {
    create_vpc_endpoints    = true
    vpc_endpoint_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa2"]
  }
  assert {
    condition     = length(aws_vpc_endpoint.vpc_endpoints_gateway) == 0 && length(aws_vpc_endpoint.vpc_endpoints_interface) == 6
    error_message = "Without route tables only the interface endpoints are created."
  }
}

# The toggle's old name (before the enable_* grammar) still works and wins when set; the plan warns.
run "deprecated_nat_instance_enabled_still_works" {
  command = plan
  variables {
    create_vpc_endpoints         = true
    vpc_endpoint_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaa2"]
    vpc_endpoint_route_table_ids = ["rtb-0aaaaaaaaaaaaaaa1"]
    nat_instance_enabled         = true
    enable_nat_instances         = false
    nat_instance_subnet_ids      = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1" }
    nat_private_route_table_ids  = { "eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1"] }
    nat_probe_subnet_ids         = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa2" }
  }
  expect_failures = [check.deprecated_inputs]

  assert {
    condition     = length(aws_autoscaling_group.nat_asg) == 1 && length(aws_lambda_function.nat_failover_function) == 1
    error_message = "nat_instance_enabled = true still creates the NAT instance and its failover function, even with enable_nat_instances = false."
  }
}

run "nat_with_standby_gateway_and_x86" {
  command = plan
  plan_options {
    target = [aws_lambda_function.nat_failover_function, aws_launch_template.nat_launch_template, aws_vpc_endpoint.vpc_endpoints_interface]
  }
  variables {
    enable_nat_instances               = true
    nat_failover_existing_ec2_endpoint = true
    nat_instance_type                  = "c7i.large"
    nat_instance_subnet_ids            = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1", "eu-west-1b" = "subnet-0bbbbbbbbbbbbbbb1" }
    nat_private_route_table_ids        = { "eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1"], "eu-west-1b" = ["rtb-0bbbbbbbbbbbbbbb1"] }
    nat_probe_subnet_ids               = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa2", "eu-west-1b" = "subnet-0bbbbbbbbbbbbbbb2" }
    nat_standby_nat_gateway_ids        = { "eu-west-1a" = "nat-0aaaaaaaaaaaaaaa1" }
    nat_probe_urls                     = ["https://ghe.example.com/api/v3", "tcp://10.0.0.10:443"]
    nat_probe_interval_seconds         = 2
    nat_failure_threshold              = 5
    nat_failback_hold_down_seconds     = 900
  }

  assert {
    condition     = aws_lambda_function.nat_failover_function["eu-west-1a"].environment[0].variables.STANDBY_NAT_GATEWAY_ID == "nat-0aaaaaaaaaaaaaaa1" && aws_lambda_function.nat_failover_function["eu-west-1b"].environment[0].variables.STANDBY_NAT_GATEWAY_ID == ""
    error_message = "Only the AZ with a standby gateway gets one."
  }
  assert {
    condition = alltrue([
      for f in aws_lambda_function.nat_failover_function :
      f.environment[0].variables.NAT_PROBE_URLS == jsonencode(["https://ghe.example.com/api/v3", "tcp://10.0.0.10:443"]) && f.environment[0].variables.NAT_PROBE_INTERVAL_SECONDS == "2"
      && f.environment[0].variables.NAT_FAILURE_THRESHOLD == "5" && f.environment[0].variables.NAT_FAILBACK_HOLD_DOWN_SECONDS == "900"
    ])
    error_message = "The probe settings reach every function."
  }
  assert {
    condition     = alltrue([for lt in aws_launch_template.nat_launch_template : lt.instance_type == "c7i.large" && lt.image_id == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"])
    error_message = "An x86 instance type gets the x86_64 AMI."
  }
  assert {
    condition     = length(aws_vpc_endpoint.vpc_endpoints_interface) == 0
    error_message = "With an existing EC2 endpoint the module creates none."
  }
}

run "fails_when_nat_has_no_way_to_the_ec2_api" {
  command = plan
  plan_options {
    target = [aws_security_group.nat_failover_security_group]
  }
  variables {
    enable_nat_instances        = true
    nat_instance_subnet_ids     = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1" }
    nat_private_route_table_ids = { "eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1"] }
    nat_probe_subnet_ids        = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa2" }
  }
  expect_failures = [aws_security_group.nat_failover_security_group]
}

run "fails_when_endpoints_exclude_ec2_for_the_nat_failover" {
  command = plan
  plan_options {
    target = [aws_security_group.nat_failover_security_group]
  }
  variables {
    create_vpc_endpoints        = true
    vpc_endpoint_subnet_ids     = ["subnet-0aaaaaaaaaaaaaaa2"]
    vpc_endpoint_services       = ["sqs"]
    enable_nat_instances        = true
    nat_instance_subnet_ids     = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1" }
    nat_private_route_table_ids = { "eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1"] }
    nat_probe_subnet_ids        = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa2" }
  }
  expect_failures = [aws_security_group.nat_failover_security_group]
}

run "fails_when_an_az_with_route_tables_has_no_probe_subnet" {
  command = plan
  plan_options {
    target = [aws_security_group.nat_failover_security_group]
  }
  variables {
    enable_nat_instances               = true
    nat_failover_existing_ec2_endpoint = true
    nat_instance_subnet_ids            = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1", "eu-west-1b" = "subnet-0bbbbbbbbbbbbbbb1" }
    nat_private_route_table_ids        = { "eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1"], "eu-west-1b" = ["rtb-0bbbbbbbbbbbbbbb1"] }
    nat_probe_subnet_ids               = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa2" }
  }
  expect_failures = [aws_security_group.nat_failover_security_group]
}

run "fails_when_a_standby_gateway_names_an_unmanaged_az" {
  command = plan
  plan_options {
    target = [aws_security_group.nat_failover_security_group]
  }
  variables {
    enable_nat_instances               = true
    nat_failover_existing_ec2_endpoint = true
    nat_instance_subnet_ids            = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1" }
    nat_private_route_table_ids        = { "eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1"] }
    nat_probe_subnet_ids               = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa2" }
    nat_standby_nat_gateway_ids        = { "eu-west-1c" = "nat-0ccccccccccccccc1" }
  }
  expect_failures = [aws_security_group.nat_failover_security_group]
}

run "fails_when_an_az_with_route_tables_has_no_nat_instance" {
  command = plan
  plan_options {
    target = [aws_security_group.nat_security_group]
  }
  variables {
    enable_nat_instances               = true
    nat_failover_existing_ec2_endpoint = true
    nat_instance_subnet_ids            = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1" }
    nat_private_route_table_ids        = { "eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1"], "eu-west-1b" = ["rtb-0bbbbbbbbbbbbbbb1"] }
    nat_probe_subnet_ids               = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa2", "eu-west-1b" = "subnet-0bbbbbbbbbbbbbbb2" }
  }
  expect_failures = [aws_security_group.nat_security_group]
}

run "fails_when_nat_is_on_without_route_tables" {
  command = plan
  plan_options {
    target = [aws_security_group.nat_security_group]
  }
  variables {
    enable_nat_instances               = true
    nat_failover_existing_ec2_endpoint = true
    nat_instance_subnet_ids            = { "eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa1" }
  }
  expect_failures = [aws_security_group.nat_security_group]
}

run "fails_when_endpoints_have_no_subnets" {
  command = plan
  plan_options {
    target = [aws_security_group.vpc_endpoints_security_group]
  }
  variables {
    create_vpc_endpoints = true
  }
  expect_failures = [aws_security_group.vpc_endpoints_security_group]
}

# Variable validations: every variable listed in expect_failures must fail its own validation.
run "fails_when_endpoint_inputs_are_malformed" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    vpc_endpoint_subnet_ids                = ["subnet-nope"]
    vpc_endpoint_route_table_ids           = ["rt-0123"]
    vpc_endpoint_services                  = ["com.amazonaws.eu-west-1.sqs "]
    vpc_endpoint_gateway_services          = ["sqs"]
    vpc_endpoint_source_security_group_ids = ["default"]
  }
  expect_failures = [
    var.vpc_endpoint_subnet_ids,
    var.vpc_endpoint_route_table_ids,
    var.vpc_endpoint_services,
    var.vpc_endpoint_gateway_services,
    var.vpc_endpoint_source_security_group_ids,
  ]
}

run "fails_when_nat_maps_use_zone_ids_or_wrong_kinds_of_ids" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    nat_instance_subnet_ids     = { "euw1-az1" = "subnet-0aaaaaaaaaaaaaaa1" }
    nat_private_route_table_ids = { "eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa1"] }
    nat_probe_subnet_ids        = { "eu-west-1a" = "rtb-0aaaaaaaaaaaaaaa1" }
    nat_standby_nat_gateway_ids = { "eu-west-1a" = "igw-0aaaaaaaaaaaaaaa1" }
    nat_instance_type           = "nano"
  }
  expect_failures = [
    var.nat_instance_subnet_ids,
    var.nat_private_route_table_ids,
    var.nat_probe_subnet_ids,
    var.nat_standby_nat_gateway_ids,
    var.nat_instance_type,
  ]
}

run "fails_when_a_nat_subnet_or_the_probe_settings_are_out_of_range" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    nat_instance_subnet_ids        = { "eu-west-1a" = "sn-1" }
    nat_probe_urls                 = ["http://example.com"]
    nat_probe_interval_seconds     = 1
    nat_failure_threshold          = 2.5
    nat_failback_hold_down_seconds = 10
  }
  expect_failures = [
    var.nat_instance_subnet_ids,
    var.nat_probe_urls,
    var.nat_probe_interval_seconds,
    var.nat_failure_threshold,
    var.nat_failback_hold_down_seconds,
  ]
}

run "fails_when_there_is_no_probe_url" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    nat_probe_urls = []
  }
  expect_failures = [var.nat_probe_urls]
}

run "nat_instances_in_two_azs" {
  command = plan
  plan_options {
    target = [
      aws_autoscaling_group.nat_asg,
      aws_cloudwatch_event_rule.nat_failover_schedule,
      aws_cloudwatch_event_rule.nat_failover_state_change,
      aws_cloudwatch_event_target.nat_failover_state_change_target,
      aws_iam_role_policy.nat_boot,
      aws_iam_role_policy.nat_failover_policy,
      aws_lambda_function.nat_failover_function,
      aws_launch_template.nat_launch_template,
      aws_security_group.nat_security_group,
    ]
  }
  # The security group's id is unknown at plan even under mocks; overriding it at plan lets the
  # policies that name it be checked without an apply (three times the CPU of a plan).
  override_resource {
    override_during = plan
    target          = aws_security_group.nat_security_group[0]
    values          = { id = "sg-0a11ce5000000000b" }
  }
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
