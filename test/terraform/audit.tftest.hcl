# The audit trail: created by default, switched off, reused, and delivering to CloudWatch Logs.
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

run "audit_trail_defaults" {
  command = plan
  plan_options {
    target = [
      aws_cloudtrail.audit_trail,
      aws_cloudwatch_log_group.audit_logs,
      aws_iam_role.audit_cloudwatch_role,
      aws_kms_key.audit_key,
      aws_s3_bucket.audit_bucket,
      aws_s3_bucket_lifecycle_configuration.audit_lifecycle,
      aws_s3_bucket_ownership_controls.audit_ownership,
      aws_s3_bucket_policy.audit_bucket_policy,
      aws_s3_bucket_public_access_block.audit_public_access_block,
      aws_s3_bucket_server_side_encryption_configuration.audit_encryption,
      aws_s3_bucket_versioning.audit_versioning,
    ]
  }

  assert {
    condition     = length(aws_cloudtrail.audit_trail) == 1 && aws_cloudtrail.audit_trail[0].name == "self-runners-audit"
    error_message = "One trail named <prefix>-audit is created by default."
  }
  assert {
    condition     = aws_cloudtrail.audit_trail[0].is_multi_region_trail && aws_cloudtrail.audit_trail[0].include_global_service_events
    error_message = "The trail records every region and global services by default."
  }
  assert {
    condition     = aws_cloudtrail.audit_trail[0].enable_log_file_validation
    error_message = "Log file validation is on."
  }
  assert {
    condition     = aws_cloudtrail.audit_trail[0].event_selector[0].read_write_type == "All" && aws_cloudtrail.audit_trail[0].event_selector[0].include_management_events
    error_message = "Every management event, read and write, is recorded."
  }
  assert {
    condition     = aws_cloudtrail.audit_trail[0].kms_key_id == aws_kms_key.audit_key[0].arn && aws_cloudtrail.audit_trail[0].s3_bucket_name == aws_s3_bucket.audit_bucket[0].id
    error_message = "The trail writes to the bucket, encrypted with the construct's key."
  }
  assert {
    condition     = aws_kms_key.audit_key[0].enable_key_rotation
    error_message = "The key rotates."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.audit_key[0].policy).Statement : s.Principal.Service == "cloudtrail.amazonaws.com"
      if s.Sid == "CloudTrailEncryptsLogs"
      ]) && contains([
      for s in jsondecode(aws_kms_key.audit_key[0].policy).Statement : s.Condition.StringLike["kms:EncryptionContext:aws:cloudtrail:arn"]
      if s.Sid == "CloudTrailEncryptsLogs"
    ], "arn:aws:cloudtrail:*:123456789012:trail/*")
    error_message = "CloudTrail may encrypt with the key only under the CloudTrail encryption context of this account."
  }
  assert {
    condition = alltrue([
      for r in aws_s3_bucket_server_side_encryption_configuration.audit_encryption[0].rule :
      r.apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && r.apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.audit_key[0].arn
    ])
    error_message = "The bucket is encrypted with SSE-KMS and the construct's key."
  }
  assert {
    condition     = aws_s3_bucket_versioning.audit_versioning[0].versioning_configuration[0].status == "Enabled"
    error_message = "The bucket is versioned."
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.audit_public_access_block[0].block_public_acls,
      aws_s3_bucket_public_access_block.audit_public_access_block[0].block_public_policy,
      aws_s3_bucket_public_access_block.audit_public_access_block[0].ignore_public_acls,
      aws_s3_bucket_public_access_block.audit_public_access_block[0].restrict_public_buckets,
    ])
    error_message = "All four public access blocks are on."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.audit_ownership[0].rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs are disabled (BucketOwnerEnforced)."
  }
  assert {
    condition = [
      for s in jsondecode(aws_s3_bucket_policy.audit_bucket_policy[0].policy).Statement :
      [s.Effect, s.Principal, s.Action, s.Condition.Bool["aws:SecureTransport"]] if s.Sid == "DenyInsecureTransport"
    ] == [["Deny", "*", ["s3:*"], "false"]]
    error_message = "The bucket policy denies every request not made over TLS."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_s3_bucket_policy.audit_bucket_policy[0].policy).Statement :
      s.Principal.Service == "cloudtrail.amazonaws.com" && s.Condition.StringEquals["aws:SourceArn"] == "arn:aws:cloudtrail:eu-west-1:123456789012:trail/self-runners-audit"
      if s.Effect == "Allow"
    ])
    error_message = "Only CloudTrail, for this trail, is allowed on the bucket."
  }
  assert {
    condition = join(",", sort(flatten([
      for s in jsondecode(aws_s3_bucket_policy.audit_bucket_policy[0].policy).Statement : s.Action if s.Effect == "Allow"
    ]))) == "s3:GetBucketAcl,s3:PutObject"
    error_message = "CloudTrail gets GetBucketAcl and PutObject only."
  }
  assert {
    condition = alltrue([
      for r in aws_s3_bucket_lifecycle_configuration.audit_lifecycle[0].rule :
      one(r.transition).days == 90 && one(r.transition).storage_class == "GLACIER" && r.expiration[0].days == 365 && r.noncurrent_version_expiration[0].noncurrent_days == 30
    ])
    error_message = "Logs move to Glacier after 90 days, expire after 365; old versions after 30."
  }
  assert {
    condition     = length(aws_cloudwatch_log_group.audit_logs) == 0 && length(aws_iam_role.audit_cloudwatch_role) == 0 && aws_cloudtrail.audit_trail[0].cloud_watch_logs_group_arn == ""
    error_message = "No CloudWatch Logs delivery by default."
  }
  assert {
    condition     = output.cloudtrail_arn == aws_cloudtrail.audit_trail[0].arn && output.cloudtrail_bucket_name == "self-runners-audit-123456789012-eu-west-1"
    error_message = "The outputs name the created trail and bucket."
  }
}

run "audit_trail_options" {
  command = plan
  plan_options {
    target = [aws_cloudtrail.audit_trail, aws_s3_bucket_lifecycle_configuration.audit_lifecycle]
  }
  variables {
    cloudtrail_multi_region       = false
    cloudtrail_glacier_after_days = 30
    cloudtrail_retention_days     = 2557
  }
  assert {
    condition     = !aws_cloudtrail.audit_trail[0].is_multi_region_trail
    error_message = "cloudtrail_multi_region = false gives a single-region trail."
  }
  assert {
    condition     = alltrue([for r in aws_s3_bucket_lifecycle_configuration.audit_lifecycle[0].rule : one(r.transition).days == 30 && r.expiration[0].days == 2557])
    error_message = "The lifecycle follows cloudtrail_glacier_after_days and cloudtrail_retention_days."
  }
}

run "audit_trail_disabled" {
  command = plan
  plan_options {
    target = [
      aws_cloudtrail.audit_trail,
      aws_cloudwatch_log_group.audit_logs,
      aws_kms_key.audit_key,
      aws_s3_bucket.audit_bucket,
      aws_s3_bucket_policy.audit_bucket_policy,
    ]
  }
  variables {
    enable_cloudtrail = false
  }
  assert {
    condition = alltrue([
      length(aws_cloudtrail.audit_trail) == 0,
      length(aws_s3_bucket.audit_bucket) == 0,
      length(aws_s3_bucket_policy.audit_bucket_policy) == 0,
      length(aws_kms_key.audit_key) == 0,
      length(aws_cloudwatch_log_group.audit_logs) == 0,
    ])
    error_message = "enable_cloudtrail = false creates nothing for the audit trail."
  }
  assert {
    condition     = output.cloudtrail_arn == "" && output.cloudtrail_bucket_name == ""
    error_message = "Both outputs are empty without a trail."
  }
}

run "audit_trail_reuses_an_existing_trail" {
  command = plan
  plan_options {
    target = [
      aws_cloudtrail.audit_trail,
      aws_cloudwatch_log_group.audit_logs,
      aws_iam_role.audit_cloudwatch_role,
      aws_kms_key.audit_key,
      aws_s3_bucket.audit_bucket,
    ]
  }
  variables {
    existing_cloudtrail_arn    = "arn:aws:cloudtrail:us-east-1:210987654321:trail/org-trail"
    cloudtrail_cloudwatch_logs = true
  }
  assert {
    condition = alltrue([
      length(aws_cloudtrail.audit_trail) == 0,
      length(aws_s3_bucket.audit_bucket) == 0,
      length(aws_kms_key.audit_key) == 0,
      length(aws_cloudwatch_log_group.audit_logs) == 0,
      length(aws_iam_role.audit_cloudwatch_role) == 0,
    ])
    error_message = "An existing trail means nothing is created, not even CloudWatch delivery."
  }
  assert {
    condition     = output.cloudtrail_arn == "arn:aws:cloudtrail:us-east-1:210987654321:trail/org-trail" && output.cloudtrail_bucket_name == ""
    error_message = "cloudtrail_arn is the existing trail; there is no bucket of ours."
  }
}

run "audit_trail_delivers_to_cloudwatch_logs" {
  command = plan
  plan_options {
    target = [
      aws_cloudtrail.audit_trail,
      aws_cloudwatch_log_group.audit_logs,
      aws_iam_role.audit_cloudwatch_role,
      aws_iam_role_policy.audit_cloudwatch_delivery,
    ]
  }
  variables {
    cloudtrail_cloudwatch_logs = true
    log_retention_days         = 90
  }
  override_resource {
    override_during = plan
    target = aws_cloudwatch_log_group.audit_logs
    values = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/cloudtrail/self-runners-audit" }
  }
  assert {
    condition     = aws_cloudwatch_log_group.audit_logs[0].name == "/aws/cloudtrail/self-runners-audit" && aws_cloudwatch_log_group.audit_logs[0].retention_in_days == 90
    error_message = "The log group keeps events for log_retention_days."
  }
  assert {
    condition     = aws_cloudtrail.audit_trail[0].cloud_watch_logs_group_arn == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/cloudtrail/self-runners-audit:*" && aws_cloudtrail.audit_trail[0].cloud_watch_logs_role_arn == aws_iam_role.audit_cloudwatch_role[0].arn
    error_message = "The trail delivers to the group through the role."
  }
  assert {
    condition     = jsondecode(aws_iam_role.audit_cloudwatch_role[0].assume_role_policy).Statement[0].Principal.Service == "cloudtrail.amazonaws.com"
    error_message = "Only CloudTrail assumes the delivery role."
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.audit_cloudwatch_delivery[0].policy).Statement == [{
      Effect   = "Allow"
      Sid      = "DeliverTrailEvents"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/cloudtrail/self-runners-audit:log-stream:*"
    }]
    error_message = "The role may only create streams and put events in that one group."
  }
}
