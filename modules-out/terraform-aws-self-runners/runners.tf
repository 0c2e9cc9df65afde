resource "aws_ssm_parameter" "draining_parameter" {
  description = "self-runners draining switch: true stops new launches; jobs stay queued until it is false"
  name        = format("/%s/draining", var.prefix)
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  type        = "String"
  value       = tostring(var.draining)
}

resource "aws_iam_instance_profile" "runner_instance_profile" {
  name = "${var.prefix}-runner"
  role = aws_iam_role.runner_role.name
  tags = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_launch_template" "runner_launch_template" {
  for_each                             = local.pools_resolved
  description                          = "self-runners ephemeral runner"
  image_id                             = "resolve:ssm:${each.value.ami_ssm_parameter}"
  instance_initiated_shutdown_behavior = "terminate"
  name                                 = "${var.prefix}-${each.key}"
  tags                                 = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:pool" = each.key })
  update_default_version               = true
  user_data                            = base64encode(join("", ["#!/bin/bash\n# self-runners bootstrap: run exactly one job with a just-in-time runner configuration, then terminate.\nset -euo pipefail\nexec > >(tee -a /var/log/self-runners-bootstrap.log | logger -t self-runners) 2>&1\n\nTABLE='", aws_dynamodb_table.runners_table.name, "'\nREGION='", data.aws_region.current_region.name, "'\nRUNNER_VERSION='", var.runner_version, "'\nRUNNER_ARCH='", each.value.architecture, "'\nIDLE_MINUTES='", var.runner_idle_timeout_minutes, "'\nBOOT_TIMEOUT_SECONDS='", var.runner_boot_timeout_seconds, "'\nRUNNER_DIR=/opt/actions-runner\n\n# Whatever happens below, the instance ends: shutdown behaviour is \"terminate\".\ntrap 'shutdown -h now' EXIT\n# Watchdog: no job started within IDLE_MINUTES -> shut down. The job-started hook cancels it.\nshutdown -h \"+$IDLE_MINUTES\" \"self-runners: no job started\" || true\n\ndnf install -y -q libicu tar gzip docker jq || true\nsystemctl start docker || true\nid runner >/dev/null 2>&1 || useradd -m -s /bin/bash runner\nusermod -aG docker runner || true\necho 'runner ALL=(root) NOPASSWD: /usr/sbin/shutdown' > /etc/sudoers.d/self-runners\n\nTOKEN=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' http://169.254.169.254/latest/api/token)\nimds() { curl -sf -H \"X-aws-ec2-metadata-token: $TOKEN\" \"http://169.254.169.254/latest/$1\"; }\nINSTANCE_ID=$(imds meta-data/instance-id)\nPARTITION=$(imds meta-data/services/partition)\nACCOUNT=$(imds dynamic/instance-identity/document | jq -r .accountId)\nKEY=$(jq -cn --arg arn \"arn:$PARTITION:ec2:$REGION:$ACCOUNT:instance/$INSTANCE_ID\" '{pk: {S: $arn}}')\n\nif [ ! -x \"$RUNNER_DIR/run.sh\" ]; then\n  if [ \"$RUNNER_VERSION\" = latest ]; then\n    RUNNER_VERSION=$(curl -sf https://api.github.com/repos/actions/runner/releases/latest | jq -r .tag_name | sed 's/^v//')\n  fi\n  mkdir -p \"$RUNNER_DIR\"\n  curl -sfL \"https://github.com/actions/runner/releases/download/v$RUNNER_VERSION/actions-runner-linux-$RUNNER_ARCH-$RUNNER_VERSION.tar.gz\" | tar xz -C \"$RUNNER_DIR\"\nfi\ncat > \"$RUNNER_DIR/job-started.sh\" <<'HOOK'\n#!/bin/bash\nsudo /usr/sbin/shutdown -c || true\nHOOK\nchmod 755 \"$RUNNER_DIR/job-started.sh\"\nchown -R runner:runner \"$RUNNER_DIR\"\n\n# The scale-up function writes the configuration right after launch; the IAM policy lets this\n# instance read and clear only the item keyed by its own ARN.\ndeadline=$(( $(date +%s) + BOOT_TIMEOUT_SECONDS ))\nJIT=\"\"\nwhile [ -z \"$JIT\" ] && [ \"$(date +%s)\" -lt \"$deadline\" ]; do\n  JIT=$(aws dynamodb get-item --region \"$REGION\" --table-name \"$TABLE\" --consistent-read --key \"$KEY\" --query Item.jitConfig.S --output text 2>/dev/null || true)\n  if [ \"$JIT\" = None ]; then JIT=\"\"; fi\n  if [ -z \"$JIT\" ]; then sleep 3; fi\ndone\nif [ -z \"$JIT\" ]; then echo \"no runner configuration after $BOOT_TIMEOUT_SECONDS s\"; exit 1; fi\naws dynamodb update-item --region \"$REGION\" --table-name \"$TABLE\" --key \"$KEY\" --update-expression 'REMOVE jitConfig'\n\ncd \"$RUNNER_DIR\"\nsudo -u runner env ACTIONS_RUNNER_HOOK_JOB_STARTED=\"$RUNNER_DIR/job-started.sh\" ./run.sh --jitconfig \"$JIT\" || true\n"]))

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      delete_on_termination = "true"
      encrypted             = "true"
      volume_size           = each.value.root_volume_size
      volume_type           = "gp3"
    }
  }

  iam_instance_profile {
    arn = aws_iam_instance_profile.runner_instance_profile.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_put_response_hop_limit = 2
    http_tokens                 = "required"
    instance_metadata_tags      = "disabled"
  }

  network_interfaces {
    associate_public_ip_address = var.associate_public_ip_address
    delete_on_termination       = "true"
    device_index                = 0
    security_groups             = [aws_security_group.runner_security_group.id]
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:pool" = each.key })
  }

  tag_specifications {
    resource_type = "network-interface"
    tags          = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:pool" = each.key })
  }
}

resource "aws_iam_role" "runner_role" {
  assume_role_policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "ec2.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name               = "${var.prefix}-runner"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_security_group" "runner_security_group" {
  description = "self-runners runner instances: no inbound, all outbound"
  egress = [
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = "All outbound (GitHub, package registries, AWS APIs)"
      from_port        = 0
      ipv6_cidr_blocks = ["::/0"]
      prefix_list_ids  = null
      protocol         = "-1"
      security_groups  = null
      self             = null
      to_port          = 0
    },
  ]
  name   = "${var.prefix}-runners"
  tags   = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-runners" })
  vpc_id = var.vpc_id
}

resource "aws_iam_role_policy_attachment" "runner_ssm_sessions" {
  count      = var.enable_ssm_sessions ? 1 : 0
  policy_arn = "arn:${data.aws_partition.current_partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
  role       = aws_iam_role.runner_role.name
}

resource "aws_iam_role_policy" "runners_runner_own_item" {
  name   = "runner-own-item"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "ReadOwnRunnerConfig", "Action" = ["dynamodb:GetItem", "dynamodb:UpdateItem"], "Resource" = aws_dynamodb_table.runners_table.arn, "Condition" = { "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["$${ec2:SourceInstanceARN}"] } } }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_dynamodb_table" "runners_table" {
  billing_mode                = "PAY_PER_REQUEST"
  deletion_protection_enabled = false
  hash_key                    = "pk"
  name                        = "${var.prefix}-runners"
  tags                        = merge(var.tags, { "self-runners:prefix" = var.prefix })

  attribute {
    name = "pk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.runners_table_point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.encryption_key_arn
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }
}
