resource "aws_lambda_function" "nat_failover_function" {
  for_each                       = local.enable_nat_instances ? var.nat_private_route_table_ids : {}
  architectures                  = ["arm64"]
  description                    = "Moves this AZ's default routes off a failed NAT and back after a hold-down"
  filename                       = "${path.module}/lambdas/nat-failover.zip"
  function_name                  = "${var.prefix}-nat-failover-${each.key}"
  handler                        = "index.handler"
  kms_key_arn                    = local.encryption_key_arn
  layers                         = [aws_lambda_layer_version.shared_layer_version.arn]
  memory_size                    = 128
  reserved_concurrent_executions = 1
  role                           = aws_iam_role.nat_failover_role["0"].arn
  runtime                        = "nodejs22.x"
  source_code_hash               = filebase64sha256("${path.module}/lambdas/nat-failover.zip")
  tags                           = merge(var.tags, { "self-runners:prefix" = var.prefix })
  timeout                        = 70

  environment {
    variables = {
      AZ                             = each.key
      NAT_FAILBACK_HOLD_DOWN_SECONDS = var.nat_failback_hold_down_seconds
      NAT_FAILURE_THRESHOLD          = var.nat_failure_threshold
      NAT_PROBE_INTERVAL_SECONDS     = var.nat_probe_interval_seconds
      NAT_PROBE_URLS                 = jsonencode(var.nat_probe_urls)
      NODE_OPTIONS                   = "--enable-source-maps"
      POWERTOOLS_LOG_LEVEL           = "INFO"
      POWERTOOLS_METRICS_NAMESPACE   = "SelfRunners/${var.prefix}"
      POWERTOOLS_SERVICE_NAME        = "nat-failover"
      POWERTOOLS_TRACE_ENABLED       = tostring(var.enable_tracing)
      PREFIX                         = var.prefix
      ROUTE_TABLE_IDS                = jsonencode(each.value)
      STANDBY_NAT_GATEWAY_ID         = try(var.nat_standby_nat_gateway_ids[each.key], "")
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.nat_failover_logs[each.key].name
  }

  tracing_config {
    mode = var.enable_tracing ? "Active" : "PassThrough"
  }

  vpc_config {
    security_group_ids = [aws_security_group.nat_failover_security_group["0"].id]
    subnet_ids         = [try(var.nat_probe_subnet_ids[each.key], "")]
  }
  depends_on = [aws_cloudwatch_log_group.nat_failover_logs]
}

resource "aws_cloudwatch_log_group" "nat_failover_logs" {
  for_each          = local.enable_nat_instances ? var.nat_private_route_table_ids : {}
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/lambda/${var.prefix}-nat-failover-${each.key}"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_iam_role_policy" "nat_failover_policy" {
  count  = local.enable_nat_instances ? 1 : 0
  name   = "nat-failover"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "WriteOwnLogs", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:logs:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:log-group:/aws/lambda/${var.prefix}-nat-failover-*:*" }, { "Effect" = "Allow", "Sid" = "ManageLambdaEnis", "Action" = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "ReadNetwork", "Action" = ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:DescribeRouteTables", "ec2:DescribeNatGateways"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "ReplaceDefaultRoutes", "Action" = ["ec2:ReplaceRoute"], "Resource" = formatlist("arn:%s:ec2:%s:%s:route-table/%s", data.aws_partition.current_partition.partition, data.aws_region.current_region.id, data.aws_caller_identity.current_account.account_id, flatten(values(var.nat_private_route_table_ids))) }] })
  role   = aws_iam_role.nat_failover_role["0"].id
}

resource "aws_iam_role" "nat_failover_role" {
  count                = local.enable_nat_instances ? 1 : 0
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "lambda.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-nat-failover"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_event_rule" "nat_failover_schedule" {
  for_each            = local.enable_nat_instances ? var.nat_private_route_table_ids : {}
  description         = "Runs the NAT failover probe loop of one AZ"
  name                = "${var.prefix}-nat-schedule-${each.key}"
  schedule_expression = "rate(1 minute)"
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_lambda_permission" "nat_failover_schedule_invoke" {
  for_each      = local.enable_nat_instances ? var.nat_private_route_table_ids : {}
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.nat_failover_function[each.key].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.nat_failover_schedule[each.key].arn
  statement_id  = "AllowEventBridge-schedule"
}

resource "aws_cloudwatch_event_target" "nat_failover_schedule_target" {
  for_each  = local.enable_nat_instances ? var.nat_private_route_table_ids : {}
  arn       = aws_lambda_function.nat_failover_function[each.key].arn
  rule      = aws_cloudwatch_event_rule.nat_failover_schedule[each.key].name
  target_id = "nat-failover"
}

resource "aws_security_group" "nat_failover_security_group" {
  count       = local.enable_nat_instances ? 1 : 0
  description = "self-runners NAT failover functions: probes and AWS APIs out, nothing in"
  egress = [
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = "Probes (HTTPS/TCP) and AWS APIs"
      from_port        = 0
      ipv6_cidr_blocks = null
      prefix_list_ids  = null
      protocol         = "tcp"
      security_groups  = null
      self             = null
      to_port          = 65535
    },
  ]
  name   = "${var.prefix}-nat-failover"
  tags   = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-nat-failover" })
  vpc_id = var.vpc_id

  lifecycle {
    precondition {
      condition     = (var.nat_failover_existing_ec2_endpoint || (var.create_vpc_endpoints && contains(var.vpc_endpoint_services, "ec2")))
      error_message = "The NAT failover must reach the EC2 API while a NAT is down: set create_vpc_endpoints = true with \"ec2\" in vpc_endpoint_services, or nat_failover_existing_ec2_endpoint = true if the VPC has an EC2 interface endpoint with private DNS."
    }

    precondition {
      condition     = (length(setsubtract(keys(var.nat_private_route_table_ids), keys(var.nat_probe_subnet_ids))) < 1)
      error_message = "nat_probe_subnet_ids needs a private subnet for every AZ in nat_private_route_table_ids (the AZ's failover function runs there)."
    }

    precondition {
      condition     = (length(setsubtract(keys(var.nat_standby_nat_gateway_ids), keys(var.nat_private_route_table_ids))) < 1)
      error_message = "nat_standby_nat_gateway_ids may only name AZs that are in nat_private_route_table_ids."
    }
  }
}

resource "aws_cloudwatch_event_rule" "nat_failover_state_change" {
  for_each      = local.enable_nat_instances ? var.nat_private_route_table_ids : {}
  description   = "Runs the NAT failover of one AZ at once when an instance stops"
  event_pattern = jsonencode({ "source" = ["aws.ec2"], "detail-type" = ["EC2 Instance State-change Notification"], "detail" = { "state" = ["stopping", "stopped", "shutting-down", "terminated"] } })
  name          = "${var.prefix}-nat-state-change-${each.key}"
  tags          = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_lambda_permission" "nat_failover_state_change_invoke" {
  for_each      = local.enable_nat_instances ? var.nat_private_route_table_ids : {}
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.nat_failover_function[each.key].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.nat_failover_state_change[each.key].arn
  statement_id  = "AllowEventBridge-state-change"
}

resource "aws_cloudwatch_event_target" "nat_failover_state_change_target" {
  for_each  = local.enable_nat_instances ? var.nat_private_route_table_ids : {}
  arn       = aws_lambda_function.nat_failover_function[each.key].arn
  rule      = aws_cloudwatch_event_rule.nat_failover_state_change[each.key].name
  target_id = "nat-failover"
}

resource "aws_iam_role_policy" "nat_failover_tracing" {
  count  = (local.enable_nat_instances && var.enable_tracing) ? 1 : 0
  name   = "tracing"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SendTraces", "Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource" = "*" }] })
  role   = aws_iam_role.nat_failover_role["0"].id
}

resource "aws_autoscaling_group" "nat_asg" {
  for_each                  = local.enable_nat_instances ? var.nat_instance_subnet_ids : {}
  desired_capacity          = 1
  health_check_grace_period = 120
  health_check_type         = "EC2"
  max_size                  = 1
  min_size                  = 1
  name                      = "${var.prefix}-nat-${each.key}"
  vpc_zone_identifier       = [each.value]

  instance_refresh {
    strategy = "Rolling"

    preferences {
      max_healthy_percentage = 200
      min_healthy_percentage = 100
    }
  }

  launch_template {
    id      = aws_launch_template.nat_launch_template[each.key].id
    version = "$Latest"
  }

  tag {
    key                 = "Name"
    propagate_at_launch = false
    value               = "${var.prefix}-nat-${each.key}"
  }
}

resource "aws_iam_role_policy" "nat_boot" {
  count  = local.enable_nat_instances ? 1 : 0
  name   = "nat-boot"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "SwitchOffOwnSourceDestCheck", "Action" = ["ec2:ModifyInstanceAttribute"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*", "Condition" = { "StringEquals" = { "ec2:ResourceTag/self-runners:nat" = var.prefix }, "ArnEquals" = { "ec2:InstanceProfile" = "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:instance-profile/${trimprefix(var.iam_role_path, "/")}${var.prefix}-nat" } } }, { "Effect" = "Allow", "Sid" = "ReadRouteTables", "Action" = ["ec2:DescribeRouteTables"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "ClaimPrivateRoutes", "Action" = ["ec2:CreateRoute", "ec2:ReplaceRoute"], "Resource" = formatlist("arn:%s:ec2:%s:%s:route-table/%s", data.aws_partition.current_partition.partition, data.aws_region.current_region.id, data.aws_caller_identity.current_account.account_id, flatten(values(var.nat_private_route_table_ids))) }] })
  role   = aws_iam_role.nat_role["0"].name
}

resource "aws_iam_instance_profile" "nat_instance_profile" {
  count = local.enable_nat_instances ? 1 : 0
  name  = "${var.prefix}-nat"
  path  = var.iam_role_path
  role  = aws_iam_role.nat_role["0"].name
  tags  = merge(var.tags, { "self-runners:nat" = var.prefix })
}

resource "aws_launch_template" "nat_launch_template" {
  for_each               = local.enable_nat_instances ? var.nat_instance_subnet_ids : {}
  description            = "self-runners NAT instance"
  image_id               = "resolve:ssm:${format("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-%s", can(regex("^[a-z]+[0-9]+[a-z]*g[a-z]*[.]", var.nat_instance_type)) ? "arm64" : "x86_64")}"
  instance_type          = var.nat_instance_type
  name                   = "${var.prefix}-nat-${each.key}"
  tags                   = merge(var.tags, { "self-runners:nat" = var.prefix })
  update_default_version = true
  user_data              = base64encode(templatefile("${path.module}/templates/nat-bootstrap.sh.tftpl", { "route_table_ids" = join(" ", lookup(var.nat_private_route_table_ids, each.key, [])), "region" = data.aws_region.current_region.id }))

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      delete_on_termination = "true"
      encrypted             = "true"
      volume_size           = 8
      volume_type           = "gp3"
    }
  }

  iam_instance_profile {
    arn = aws_iam_instance_profile.nat_instance_profile["0"].arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_put_response_hop_limit = 1
    http_tokens                 = "required"
    instance_metadata_tags      = "disabled"
  }

  network_interfaces {
    associate_public_ip_address = "true"
    delete_on_termination       = "true"
    device_index                = 0
    security_groups             = [aws_security_group.nat_security_group["0"].id]
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(merge(var.tags, { "self-runners:nat" = var.prefix }), { "Name" = "${var.prefix}-nat-${each.key}" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(merge(var.tags, { "self-runners:nat" = var.prefix }), { "Name" = "${var.prefix}-nat-${each.key}" })
  }

  tag_specifications {
    resource_type = "network-interface"
    tags          = merge(merge(var.tags, { "self-runners:nat" = var.prefix }), { "Name" = "${var.prefix}-nat-${each.key}" })
  }
}

resource "aws_iam_role" "nat_role" {
  count                = local.enable_nat_instances ? 1 : 0
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "ec2.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-nat"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:nat" = var.prefix })
}

resource "aws_security_group" "nat_security_group" {
  count       = local.enable_nat_instances ? 1 : 0
  description = "self-runners NAT instances: TCP, UDP and ICMP from the VPC in, everything out"
  egress = [
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = "All outbound (the internet)"
      from_port        = 0
      ipv6_cidr_blocks = ["::/0"]
      prefix_list_ids  = null
      protocol         = "-1"
      security_groups  = null
      self             = null
      to_port          = 0
    },
  ]
  ingress = [
    {
      cidr_blocks      = [for key, val in toset(data.aws_vpc.nat_vpc["0"].cidr_block_associations) : val.cidr_block]
      description      = "TCP from the VPC"
      from_port        = 0
      ipv6_cidr_blocks = null
      prefix_list_ids  = null
      protocol         = "tcp"
      security_groups  = null
      self             = null
      to_port          = 65535
    },
    {
      cidr_blocks      = [for key, val in toset(data.aws_vpc.nat_vpc["0"].cidr_block_associations) : val.cidr_block]
      description      = "UDP from the VPC"
      from_port        = 0
      ipv6_cidr_blocks = null
      prefix_list_ids  = null
      protocol         = "udp"
      security_groups  = null
      self             = null
      to_port          = 65535
    },
    {
      cidr_blocks      = [for key, val in toset(data.aws_vpc.nat_vpc["0"].cidr_block_associations) : val.cidr_block]
      description      = "ICMP from the VPC"
      from_port        = -1
      ipv6_cidr_blocks = null
      prefix_list_ids  = null
      protocol         = "icmp"
      security_groups  = null
      self             = null
      to_port          = -1
    },
  ]
  name   = "${var.prefix}-nat"
  tags   = merge(merge(var.tags, { "self-runners:nat" = var.prefix }), { "Name" = "${var.prefix}-nat" })
  vpc_id = var.vpc_id

  lifecycle {
    precondition {
      condition     = (length(flatten(values(var.nat_private_route_table_ids))) >= 1)
      error_message = "nat_private_route_table_ids must name at least one route table when enable_nat_instances is true."
    }

    precondition {
      condition     = (length(setsubtract(keys(var.nat_private_route_table_ids), keys(var.nat_instance_subnet_ids))) < 1)
      error_message = "Every AZ in nat_private_route_table_ids needs a NAT instance: add its public subnet to nat_instance_subnet_ids."
    }
  }
}

data "aws_vpc" "nat_vpc" {
  count = local.enable_nat_instances ? 1 : 0
  id    = var.vpc_id
}

resource "aws_vpc_endpoint" "vpc_endpoints_gateway" {
  for_each          = toset((var.create_vpc_endpoints && (length(var.vpc_endpoint_route_table_ids) >= 1)) ? var.vpc_endpoint_gateway_services : [])
  policy            = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "OwnAccountPrincipals", "Principal" = "*", "Action" = ["*"], "Resource" = "*", "Condition" = { "StringEquals" = { "aws:PrincipalAccount" = data.aws_caller_identity.current_account.account_id } } }] })
  route_table_ids   = var.vpc_endpoint_route_table_ids
  service_name      = "com.amazonaws.${data.aws_region.current_region.id}.${each.value}"
  tags              = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-${each.value}" })
  vpc_endpoint_type = "Gateway"
  vpc_id            = var.vpc_id
}

resource "aws_vpc_endpoint" "vpc_endpoints_interface" {
  for_each            = toset(var.create_vpc_endpoints ? var.vpc_endpoint_services : [])
  policy              = contains(["sqs", "ssm", "ec2", "logs", "sts", "kms"], each.value) ? jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "OwnAccountPrincipals", "Principal" = "*", "Action" = ["*"], "Resource" = "*", "Condition" = { "StringEquals" = { "aws:PrincipalAccount" = data.aws_caller_identity.current_account.account_id } } }] }) : null
  private_dns_enabled = true
  security_group_ids  = [aws_security_group.vpc_endpoints_security_group["0"].id]
  service_name        = "com.amazonaws.${data.aws_region.current_region.id}.${each.value}"
  subnet_ids          = var.vpc_endpoint_subnet_ids
  tags                = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-${each.value}" })
  vpc_endpoint_type   = "Interface"
  vpc_id              = var.vpc_id
}

resource "aws_security_group" "vpc_endpoints_security_group" {
  count       = var.create_vpc_endpoints ? 1 : 0
  description = "self-runners VPC interface endpoints: HTTPS from the VPC only"
  ingress = [
    {
      cidr_blocks      = (length(var.vpc_endpoint_source_security_group_ids) >= 1) ? [] : [for key, val in toset(data.aws_vpc.vpc_endpoints_vpc["0"].cidr_block_associations) : val.cidr_block]
      description      = "HTTPS to the AWS APIs"
      from_port        = 443
      ipv6_cidr_blocks = null
      prefix_list_ids  = null
      protocol         = "tcp"
      security_groups  = var.vpc_endpoint_source_security_group_ids
      self             = null
      to_port          = 443
    },
  ]
  name   = "${var.prefix}-vpc-endpoints"
  tags   = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-vpc-endpoints" })
  vpc_id = var.vpc_id

  lifecycle {
    precondition {
      condition     = (!(length(var.vpc_endpoint_services) >= 1) || (length(var.vpc_endpoint_subnet_ids) >= 1))
      error_message = "vpc_endpoint_subnet_ids must name at least one subnet when create_vpc_endpoints is true and vpc_endpoint_services is not empty."
    }
  }
}

data "aws_vpc" "vpc_endpoints_vpc" {
  count = var.create_vpc_endpoints ? 1 : 0
  id    = var.vpc_id
}
