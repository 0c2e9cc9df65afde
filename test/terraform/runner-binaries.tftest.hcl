# Runner binaries in S3: the bucket (versioned, encrypted, public access blocked, TLS only), the syncer
# (schedule, first sync at apply, platforms from the pools), the runners' read grant and user data, and
# refused variable values.
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

run "runner_binaries_defaults" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_event_rule.runner_binaries_syncer_schedule,
      aws_iam_role.runner_role,
      aws_iam_role_policy.runner_binaries_runner_read,
      aws_kms_key.encryption_key,
      aws_lambda_function.runner_binaries_syncer_function,
      aws_lambda_invocation.runner_binaries_syncer_first_sync,
      aws_launch_template.runner_launch_template,
      aws_s3_bucket.runner_binaries_bucket,
      aws_s3_bucket_policy.runner_binaries_policy,
      aws_s3_bucket_public_access_block.runner_binaries_public_access_block,
      aws_s3_bucket_server_side_encryption_configuration.runner_binaries_encryption,
      aws_s3_bucket_versioning.runner_binaries_versioning,
    ]
  }

  assert {
    condition     = aws_s3_bucket.runner_binaries_bucket.bucket == "self-runners-runner-binaries-123456789012-eu-west-1"
    error_message = "One bucket named <prefix>-runner-binaries-<account>-<region>."
  }
  assert {
    condition     = aws_s3_bucket_versioning.runner_binaries_versioning.versioning_configuration[0].status == "Enabled"
    error_message = "The bucket is versioned."
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.runner_binaries_public_access_block.block_public_acls,
      aws_s3_bucket_public_access_block.runner_binaries_public_access_block.block_public_policy,
      aws_s3_bucket_public_access_block.runner_binaries_public_access_block.ignore_public_acls,
      aws_s3_bucket_public_access_block.runner_binaries_public_access_block.restrict_public_buckets,
    ])
    error_message = "Every public access setting of the bucket is blocked."
  }
  assert {
    condition     = [for r in aws_s3_bucket_server_side_encryption_configuration.runner_binaries_encryption.rule : "${r.apply_server_side_encryption_by_default[0].sse_algorithm} ${r.apply_server_side_encryption_by_default[0].kms_master_key_id}"] == ["aws:kms ${aws_kms_key.encryption_key[0].arn}"]
    error_message = "Objects are encrypted with the kit's KMS key by default."
  }
  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.runner_binaries_policy.policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && s.Condition.Bool["aws:SecureTransport"] == "false"
    ])
    error_message = "The bucket refuses requests without TLS."
  }
  assert {
    condition     = aws_lambda_function.runner_binaries_syncer_function.environment[0].variables.RUNNER_VERSION == "latest" && jsondecode(aws_lambda_function.runner_binaries_syncer_function.environment[0].variables.RUNNER_PLATFORMS) == ["linux-x64"] && aws_lambda_function.runner_binaries_syncer_function.environment[0].variables.GITHUB_API_URL == "https://api.github.com"
    error_message = "The syncer copies the latest release, for the architectures the pools use, from the configured GitHub API."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.runner_binaries_syncer_schedule.schedule_expression == "rate(1 hour)" && jsondecode(aws_lambda_invocation.runner_binaries_syncer_first_sync.input).source == "terraform"
    error_message = "The syncer runs hourly and once during apply."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.runner_binaries_runner_read.policy).Statement : "${join(",", flatten([s.Action]))} ${join(" ", flatten([s.Resource]))}"
    ] == ["s3:GetObject ${aws_s3_bucket.runner_binaries_bucket.arn}/runner/* ${aws_s3_bucket.runner_binaries_bucket.arn}/pools/*"] && aws_iam_role_policy.runner_binaries_runner_read.role == aws_iam_role.runner_role.id
    error_message = "The runner role may only read objects below the runner prefix and its pool's customization documents."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["linux"].user_data), "BINARIES_BUCKET='self-runners-runner-binaries-123456789012-eu-west-1'") && !strcontains(base64decode(aws_launch_template.runner_launch_template["linux"].user_data), "api.github.com")
    error_message = "Runners install from the bucket and never call GitHub's API at boot."
  }
}

run "runner_binaries_pinned_arm64_without_key" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_event_rule.runner_binaries_syncer_schedule, aws_lambda_function.runner_binaries_syncer_function, aws_s3_bucket_server_side_encryption_configuration.runner_binaries_encryption]
  }

  variables {
    create_kms_key                = false
    runner_version                = "2.331.0"
    runner_binaries_sync_schedule = "rate(6 hours)"
    github_api_url                = "https://ghes.example.com/api/v3"
    pools = {
      linux = {
        labels         = ["linux"]
        instance_types = ["m7i.large"]
      }
      graviton = {
        labels         = ["arm"]
        instance_types = ["m7g.large"]
        architecture   = "arm64"
      }
    }
  }

  assert {
    condition     = toset(jsondecode(aws_lambda_function.runner_binaries_syncer_function.environment[0].variables.RUNNER_PLATFORMS)) == toset(["linux-x64", "linux-arm64"]) && aws_lambda_function.runner_binaries_syncer_function.environment[0].variables.RUNNER_VERSION == "2.331.0"
    error_message = "A pinned version is synced for every architecture in use."
  }
  assert {
    condition     = aws_lambda_function.runner_binaries_syncer_function.environment[0].variables.GITHUB_API_URL == "https://ghes.example.com/api/v3"
    error_message = "GitHub Enterprise Server: releases are read from github_api_url."
  }
  assert {
    condition     = [for r in aws_s3_bucket_server_side_encryption_configuration.runner_binaries_encryption.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm] == ["AES256"]
    error_message = "Without a KMS key the bucket uses SSE-S3."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.runner_binaries_syncer_schedule.schedule_expression == "rate(6 hours)"
    error_message = "The schedule follows runner_binaries_sync_schedule."
  }
}

run "refuses_a_runner_version_below_the_minimum" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_version = "2.300.0"
  }
  expect_failures = [var.runner_version]
}

run "refuses_an_invalid_sync_schedule" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runner_binaries_sync_schedule = "every hour"
  }
  expect_failures = [var.runner_binaries_sync_schedule]
}
