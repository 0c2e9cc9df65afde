# The build cache (docs/build-cache.md): off by default (nothing created, the bootstrap skips it), on (the
# bucket, the index, the function behind an IAM function URL, the sweep, the agent bundle, the runner's
# grants and user data), and invalid inputs refused at plan.
mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

# Every bucket's mocked ARN is the same: the cache bucket gets its own, so no runner policy can match it by accident.
override_resource {
  target          = aws_s3_bucket.build_cache_bucket
  override_during = plan
  values = {
    arn = "arn:aws:s3:::self-runners-build-cache-123456789012-eu-west-1"
  }
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

run "off_by_default_creates_nothing" {
  command = plan
  plan_options {
    target = [
      aws_dynamodb_table.build_cache_index_table,
      aws_iam_role_policy.build_cache_agent_runner_read,
      aws_iam_role_policy.build_cache_function_runner_invoke_url,
      aws_lambda_function.build_cache_function,
      aws_lambda_function.build_cache_sweep_function,
      aws_lambda_function_url.build_cache_function_url,
      aws_launch_template.runner_launch_template,
      aws_s3_bucket.build_cache_bucket,
      aws_s3_object.build_cache_agent_object,
    ]
  }

  assert {
    condition = alltrue([
      length(aws_s3_bucket.build_cache_bucket) == 0,
      length(aws_dynamodb_table.build_cache_index_table) == 0,
      length(aws_lambda_function.build_cache_function) == 0,
      length(aws_lambda_function_url.build_cache_function_url) == 0,
      length(aws_lambda_function.build_cache_sweep_function) == 0,
      length(aws_s3_object.build_cache_agent_object) == 0,
      length(aws_iam_role_policy.build_cache_function_runner_invoke_url) == 0,
      length(aws_iam_role_policy.build_cache_agent_runner_read) == 0,
    ])
    error_message = "Without enable_build_cache nothing of the build cache is created."
  }
  assert {
    condition     = output.build_cache_function_url == "" && output.build_cache_bucket_name == "" && output.build_cache_index_table_name == ""
    error_message = "The build cache outputs are empty when it is off."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["linux"].user_data), "CACHE_AGENT_KEY=''")
    error_message = "The bootstrap skips the build cache when it is off."
  }
}

run "on_stores_blobs_privately_behind_an_iam_function_url" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_event_rule.build_cache_sweep_schedule,
      aws_dynamodb_table.build_cache_index_table,
      aws_iam_role.runner_role,
      aws_iam_role_policy.build_cache_agent_runner_read,
      aws_iam_role_policy.build_cache_function_runner_invoke_url,
      aws_iam_role_policy.runner_binaries_runner_read,
      aws_iam_role_policy.runners_runner_own_item,
      aws_kms_key.encryption_key,
      aws_lambda_function.build_cache_function,
      aws_lambda_function.build_cache_sweep_function,
      aws_lambda_function_url.build_cache_function_url,
      aws_launch_template.runner_launch_template,
      aws_s3_bucket.build_cache_bucket,
      aws_s3_bucket.runner_binaries_bucket,
      aws_s3_bucket_policy.build_cache_bucket_policy,
      aws_s3_bucket_public_access_block.build_cache_bucket_public_access_block,
      aws_s3_bucket_server_side_encryption_configuration.build_cache_bucket_encryption,
      aws_s3_object.build_cache_agent_actions_redirect,
      aws_s3_object.build_cache_agent_object,
    ]
  }

  variables {
    enable_build_cache              = true
    build_cache_budget_gb_per_scope = 5
    build_cache_retention_days      = 14
    build_cache_protocols           = ["turborepo", "nx"]
  }

  assert {
    condition     = aws_lambda_function_url.build_cache_function_url[0].authorization_type == "AWS_IAM"
    error_message = "The cache function is reached only with IAM authentication."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.build_cache_bucket_encryption[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" && one(one(aws_s3_bucket_server_side_encryption_configuration.build_cache_bucket_encryption[0].rule).apply_server_side_encryption_by_default).kms_master_key_id == aws_kms_key.encryption_key[0].arn
    error_message = "The cache bucket is encrypted with the kit's key."
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.build_cache_bucket_public_access_block[0].block_public_acls,
      aws_s3_bucket_public_access_block.build_cache_bucket_public_access_block[0].block_public_policy,
      aws_s3_bucket_public_access_block.build_cache_bucket_public_access_block[0].ignore_public_acls,
      aws_s3_bucket_public_access_block.build_cache_bucket_public_access_block[0].restrict_public_buckets,
      jsondecode(aws_s3_bucket_policy.build_cache_bucket_policy[0].policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false",
    ])
    error_message = "The cache bucket blocks public access and refuses plain HTTP."
  }
  assert {
    condition     = aws_dynamodb_table.build_cache_index_table[0].billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.build_cache_index_table[0].hash_key == "pk" && aws_dynamodb_table.build_cache_index_table[0].range_key == "sk" && one(aws_dynamodb_table.build_cache_index_table[0].ttl).enabled
    error_message = "The index is on-demand, keyed by scope and entry, with TTL."
  }
  assert {
    condition     = aws_lambda_function.build_cache_function[0].environment[0].variables.BUILD_CACHE_SCOPE_BUDGET_BYTES == "5368709120" && aws_lambda_function.build_cache_sweep_function[0].environment[0].variables.BUILD_CACHE_RETENTION_DAYS == "14"
    error_message = "The budget reaches the functions in bytes, the retention in days."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.build_cache_function[0].environment[0].variables.BUILD_CACHE_PROTOCOLS) == ["turborepo", "nx"]
    error_message = "The protocols reach the function."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.build_cache_sweep_schedule[0].schedule_expression == "rate(1 hour)" && aws_lambda_function.build_cache_sweep_function[0].reserved_concurrent_executions == 1
    error_message = "The sweep runs hourly, one at a time."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.build_cache_function_runner_invoke_url[0].policy).Statement :
      s.Resource == aws_lambda_function.build_cache_function[0].arn && s.Condition.StringEquals["aws:ec2InstanceSourceVPC"] == "vpc-0123456789abcdef0"
    ]) && aws_iam_role_policy.build_cache_function_runner_invoke_url[0].role == aws_iam_role.runner_role.id
    error_message = "The runner role may invoke the cache function only, with instance credentials of the VPC."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.build_cache_function_runner_invoke_url[0].policy).Statement[0].Condition.StringEquals["lambda:FunctionUrlAuthType"] == "AWS_IAM" && jsondecode(aws_iam_role_policy.build_cache_function_runner_invoke_url[0].policy).Statement[1].Condition.Bool["lambda:InvokedViaFunctionUrl"] == "true"
    error_message = "The runner role calls the function through its IAM URL only, never a direct invocation."
  }
  assert {
    condition = alltrue([
      for p in [aws_iam_role_policy.runner_binaries_runner_read, aws_iam_role_policy.runners_runner_own_item, aws_iam_role_policy.build_cache_agent_runner_read[0], aws_iam_role_policy.build_cache_function_runner_invoke_url[0]] :
      !strcontains(p.policy, aws_s3_bucket.build_cache_bucket[0].arn)
    ])
    error_message = "No runner role policy reaches the cache bucket."
  }
  assert {
    condition     = aws_s3_object.build_cache_agent_object[0].bucket == aws_s3_bucket.runner_binaries_bucket.bucket && aws_s3_object.build_cache_agent_object[0].key == "cache-agent/cache-agent.js" && jsondecode(aws_iam_role_policy.build_cache_agent_runner_read[0].policy).Statement[0].Resource == ["${aws_s3_bucket.runner_binaries_bucket.arn}/cache-agent/cache-agent.js", "${aws_s3_bucket.runner_binaries_bucket.arn}/cache-agent/actions-cache-redirect.sh"] && aws_s3_object.build_cache_agent_actions_redirect[0].key == "cache-agent/actions-cache-redirect.sh"
    error_message = "The agent bundle and the Actions redirect are in the runner binaries bucket, readable by runners at their keys only."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner_launch_template["linux"].user_data), "SELF_RUNNERS_CACHE_PROTOCOLS='[\"turborepo\",\"nx\"]'") && strcontains(base64decode(aws_launch_template.runner_launch_template["linux"].user_data), "CACHE_AGENT_KEY='cache-agent/cache-agent.js'")
    error_message = "The bootstrap starts the agent with the protocols served."
  }
  assert {
    condition     = output.build_cache_function_url == aws_lambda_function_url.build_cache_function_url[0].function_url && output.build_cache_bucket_name == aws_s3_bucket.build_cache_bucket[0].bucket
    error_message = "The outputs name the function URL and the bucket."
  }
}

run "fails_when_the_budget_is_not_a_whole_number_of_gb" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    build_cache_budget_gb_per_scope = 0.5
  }
  expect_failures = [var.build_cache_budget_gb_per_scope]
}

run "fails_when_the_retention_is_over_a_year" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    build_cache_retention_days = 366
  }
  expect_failures = [var.build_cache_retention_days]
}

run "fails_when_a_protocol_is_unknown_or_repeated" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    build_cache_protocols = ["turborepo", "turborepo", "sccache"]
  }
  expect_failures = [var.build_cache_protocols]
}

run "fails_when_no_protocol_is_served" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    build_cache_protocols = []
  }
  expect_failures = [var.build_cache_protocols]
}

run "fails_when_the_cache_is_on_with_a_windows_pool" {
  command = plan
  plan_options {
    target = [aws_lambda_function.webhook_function]
  }
  variables {
    enable_build_cache = true
    pools = {
      win = {
        labels         = ["windows"]
        instance_types = ["m7i.large"]
        os             = "windows"
      }
    }
  }
  expect_failures = [aws_lambda_function.webhook_function]
}
