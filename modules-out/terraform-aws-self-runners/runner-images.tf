resource "aws_iam_role_policy" "runner_images_build_instance" {
  count  = (length(local.runner_images_definitions) >= 1) ? 1 : 0
  name   = "image-build"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "RegisterWithSsm", "Action" = ["ssm:UpdateInstanceInformation", "ssm:ListInstanceAssociations", "ssm:UpdateInstanceAssociationStatus"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:ec2:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:instance/*" }, { "Effect" = "Allow", "Sid" = "ImageBuilderOrchestration", "Action" = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel", "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"], "Resource" = "*", "Condition" = { "Null" = { "ec2:SourceInstanceARN" = "false" } } }, { "Effect" = "Allow", "Sid" = "ReadComponents", "Action" = ["imagebuilder:GetComponent"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:imagebuilder:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:component/${var.prefix}-*" }, { "Effect" = "Allow", "Sid" = "ReadImageBuilderTools", "Action" = ["s3:GetObject"], "Resource" = "arn:${data.aws_partition.current_partition.partition}:s3:::ec2imagebuilder*" }, { "Effect" = "Allow", "Sid" = "ReadRunnerBinaries", "Action" = ["s3:GetObject"], "Resource" = "${aws_s3_bucket.runner_binaries_bucket.arn}/runner/*" }] })
  role   = aws_iam_role.runner_images_role["0"].name
}

resource "aws_imagebuilder_component" "runner_images_component" {
  for_each    = local.runner_images_definitions
  data        = join("\n", ["name: self-runners-runner-image", "schemaVersion: 1.0", "phases:", "  - name: build", "    steps:", "      - name: bake", "        action: ExecuteBash", "        inputs:", "          commands:", "            - |", "              ${indent(14, templatefile("${path.module}/templates/runner-image.sh.tftpl", { "region" = data.aws_region.current_region.id, "binaries_bucket" = aws_s3_bucket.runner_binaries_bucket.bucket, "binaries_prefix" = "runner/", "architecture" = each.value.architecture, "docker" = each.value.docker, "cloudwatch_agent" = each.value.cloudwatch_agent, "extra_packages" = join(" ", each.value.extra_packages), "prepull_images" = join(" ", each.value.prepull_images), "user_script_base64" = base64encode(each.value.user_script) }))}"])
  description = "self-runners: runner, Docker, CloudWatch agent, packages, pre-pulled images, user script"
  name        = "${var.prefix}-${each.key}-${substr(sha256(templatefile("${path.module}/templates/runner-image.sh.tftpl", { "region" = data.aws_region.current_region.id, "binaries_bucket" = aws_s3_bucket.runner_binaries_bucket.bucket, "binaries_prefix" = "runner/", "architecture" = each.value.architecture, "docker" = each.value.docker, "cloudwatch_agent" = each.value.cloudwatch_agent, "extra_packages" = join(" ", each.value.extra_packages), "prepull_images" = join(" ", each.value.prepull_images), "user_script_base64" = base64encode(each.value.user_script) })), 0, 8)}"
  platform    = "Linux"
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  version     = "1.0.0"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_imagebuilder_distribution_configuration" "runner_images_distribution" {
  for_each = local.runner_images_definitions
  name     = "${var.prefix}-${each.key}"
  tags     = merge(var.tags, { "self-runners:prefix" = var.prefix })

  distribution {
    region = data.aws_region.current_region.id

    ami_distribution_configuration {
      ami_tags   = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:image" = each.key })
      kms_key_id = local.encryption_enabled ? local.encryption_key_arn : null
      name       = "${var.prefix}-${each.key}-{{ imagebuilder:buildDate }}"
    }

    ssm_parameter_configuration {
      data_type      = "aws:ec2:image"
      parameter_name = "/${var.prefix}/runner-images/${each.key}"
    }
  }
}

resource "aws_imagebuilder_infrastructure_configuration" "runner_images_infrastructure" {
  for_each                      = local.runner_images_definitions
  instance_profile_name         = aws_iam_instance_profile.runner_images_instance_profile["0"].name
  instance_types                = each.value.instance_types
  name                          = "${var.prefix}-${each.key}"
  resource_tags                 = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:prefix" = var.prefix, "self-runners:image" = each.key })
  security_group_ids            = [aws_security_group.runner_images_security_group["0"].id]
  subnet_id                     = element(var.runner_subnet_ids, 0)
  tags                          = merge(var.tags, { "self-runners:prefix" = var.prefix })
  terminate_instance_on_failure = true

  instance_metadata_options {
    http_put_response_hop_limit = 2
    http_tokens                 = "required"
  }
}

resource "aws_iam_instance_profile" "runner_images_instance_profile" {
  count = (length(local.runner_images_definitions) >= 1) ? 1 : 0
  name  = "${var.prefix}-image-builder"
  path  = var.iam_role_path
  role  = aws_iam_role.runner_images_role["0"].name
  tags  = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_imagebuilder_image_pipeline" "runner_images_pipeline" {
  for_each                         = local.runner_images_definitions
  description                      = "self-runners baked runner image"
  distribution_configuration_arn   = aws_imagebuilder_distribution_configuration.runner_images_distribution[each.key].arn
  image_recipe_arn                 = aws_imagebuilder_image_recipe.runner_images_recipe[each.key].arn
  infrastructure_configuration_arn = aws_imagebuilder_infrastructure_configuration.runner_images_infrastructure[each.key].arn
  name                             = "${var.prefix}-${each.key}"
  tags                             = merge(var.tags, { "self-runners:prefix" = var.prefix })

  schedule {
    pipeline_execution_start_condition = "EXPRESSION_MATCH_ONLY"
    schedule_expression                = each.value.schedule
  }
}

resource "aws_imagebuilder_image_recipe" "runner_images_recipe" {
  for_each     = local.runner_images_definitions
  name         = "${var.prefix}-${each.key}-${substr(sha256(join("|", [templatefile("${path.module}/templates/runner-image.sh.tftpl", { "region" = data.aws_region.current_region.id, "binaries_bucket" = aws_s3_bucket.runner_binaries_bucket.bucket, "binaries_prefix" = "runner/", "architecture" = each.value.architecture, "docker" = each.value.docker, "cloudwatch_agent" = each.value.cloudwatch_agent, "extra_packages" = join(" ", each.value.extra_packages), "prepull_images" = join(" ", each.value.prepull_images), "user_script_base64" = base64encode(each.value.user_script) }), each.value.parent_image_ssm_parameter, each.value.root_volume_size])), 0, 8)}"
  parent_image = "ssm:${each.value.parent_image_ssm_parameter}"
  tags         = merge(var.tags, { "self-runners:prefix" = var.prefix })
  version      = "1.0.0"

  block_device_mapping {
    device_name = "/dev/xvda"

    ebs {
      delete_on_termination = "true"
      encrypted             = "true"
      kms_key_id            = local.encryption_enabled ? local.encryption_key_arn : null
      volume_size           = each.value.root_volume_size
      volume_type           = "gp3"
    }
  }

  component {
    component_arn = aws_imagebuilder_component.runner_images_component[each.key].arn
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_iam_role" "runner_images_role" {
  count                = (length(local.runner_images_definitions) >= 1) ? 1 : 0
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "ec2.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-image-builder"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_security_group" "runner_images_security_group" {
  count       = (length(local.runner_images_definitions) >= 1) ? 1 : 0
  description = "self-runners image builds: no inbound; HTTP(S) out to package repositories, registries and AWS APIs"
  egress = [
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = "HTTPS"
      from_port        = 443
      ipv6_cidr_blocks = ["::/0"]
      prefix_list_ids  = null
      protocol         = "tcp"
      security_groups  = null
      self             = null
      to_port          = 443
    },
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = "HTTP (apt mirrors)"
      from_port        = 80
      ipv6_cidr_blocks = ["::/0"]
      prefix_list_ids  = null
      protocol         = "tcp"
      security_groups  = null
      self             = null
      to_port          = 80
    },
  ]
  name   = "${var.prefix}-image-builder"
  tags   = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "Name" = "${var.prefix}-image-builder" })
  vpc_id = var.vpc_id
}
