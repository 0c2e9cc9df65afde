resource "aws_s3_bucket" "audit_bucket" {
  count  = local.audit_enabled ? 1 : 0
  bucket = "${var.prefix}-audit-${data.aws_caller_identity.current_account.account_id}-${data.aws_region.current_region.id}"
  tags   = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_s3_bucket_policy" "audit_bucket_policy" {
  count  = local.audit_enabled ? 1 : 0
  bucket = aws_s3_bucket.audit_bucket["0"].id
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Deny", "Sid" = "DenyInsecureTransport", "Principal" = "*", "Action" = ["s3:*"], "Resource" = [aws_s3_bucket.audit_bucket["0"].arn, "${aws_s3_bucket.audit_bucket["0"].arn}/*"], "Condition" = { "Bool" = { "aws:SecureTransport" = "false" } } }, { "Effect" = "Allow", "Sid" = "CloudTrailChecksAcl", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = ["s3:GetBucketAcl"], "Resource" = aws_s3_bucket.audit_bucket["0"].arn, "Condition" = { "StringEquals" = { "aws:SourceArn" = "arn:${data.aws_partition.current_partition.partition}:cloudtrail:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:trail/${var.prefix}-audit" } } }, { "Effect" = "Allow", "Sid" = "CloudTrailWritesLogs", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = ["s3:PutObject"], "Resource" = "${aws_s3_bucket.audit_bucket["0"].arn}/AWSLogs/${data.aws_caller_identity.current_account.account_id}/*", "Condition" = { "StringEquals" = { "s3:x-amz-acl" = "bucket-owner-full-control", "aws:SourceArn" = "arn:${data.aws_partition.current_partition.partition}:cloudtrail:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:trail/${var.prefix}-audit" } } }] })
}

resource "aws_iam_role_policy" "audit_cloudwatch_delivery" {
  count  = local.audit_cloudwatch_enabled ? 1 : 0
  name   = "cloudtrail-delivery"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "DeliverTrailEvents", "Action" = ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource" = "${aws_cloudwatch_log_group.audit_logs["0"].arn}:log-stream:*" }] })
  role   = aws_iam_role.audit_cloudwatch_role["0"].id
}

resource "aws_iam_role" "audit_cloudwatch_role" {
  count                = local.audit_cloudwatch_enabled ? 1 : 0
  assume_role_policy   = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = "sts:AssumeRole" }] })
  name                 = "${var.prefix}-audit-cloudwatch"
  path                 = var.iam_role_path
  permissions_boundary = (length(var.permissions_boundary_arn) < 1) ? null : var.permissions_boundary_arn
  tags                 = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "audit_encryption" {
  count  = local.audit_enabled ? 1 : 0
  bucket = aws_s3_bucket.audit_bucket["0"].id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      kms_master_key_id = aws_kms_key.audit_key["0"].arn
      sse_algorithm     = "aws:kms"
    }
  }
}

resource "aws_kms_key" "audit_key" {
  count                   = local.audit_enabled ? 1 : 0
  deletion_window_in_days = 30
  description             = "Encrypts the CloudTrail logs of ${var.prefix}-audit"
  enable_key_rotation     = true
  policy                  = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "AccountAdministersKey", "Principal" = { "AWS" = "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:root" }, "Action" = ["kms:*"], "Resource" = "*" }, { "Effect" = "Allow", "Sid" = "CloudTrailEncryptsLogs", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = ["kms:GenerateDataKey*"], "Resource" = "*", "Condition" = { "StringEquals" = { "aws:SourceArn" = "arn:${data.aws_partition.current_partition.partition}:cloudtrail:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:trail/${var.prefix}-audit" }, "StringLike" = { "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:${data.aws_partition.current_partition.partition}:cloudtrail:*:${data.aws_caller_identity.current_account.account_id}:trail/*" } } }, { "Effect" = "Allow", "Sid" = "CloudTrailDescribesKey", "Principal" = { "Service" = "cloudtrail.amazonaws.com" }, "Action" = ["kms:DescribeKey"], "Resource" = "*" }] })
  tags                    = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_s3_bucket_lifecycle_configuration" "audit_lifecycle" {
  count  = local.audit_enabled ? 1 : 0
  bucket = aws_s3_bucket.audit_bucket["0"].id

  rule {
    id     = "archive-then-expire"
    status = "Enabled"

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    expiration {
      days = var.cloudtrail_retention_days
    }

    filter {
      prefix = ""
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    transition {
      days          = var.cloudtrail_glacier_after_days
      storage_class = "GLACIER"
    }
  }

  lifecycle {
    precondition {
      condition     = (var.cloudtrail_retention_days > var.cloudtrail_glacier_after_days)
      error_message = "cloudtrail_retention_days must be more than cloudtrail_glacier_after_days: S3 refuses to expire objects before they transition."
    }
  }
  depends_on = [aws_s3_bucket_versioning.audit_versioning]
}

resource "aws_cloudwatch_log_group" "audit_logs" {
  count             = local.audit_cloudwatch_enabled ? 1 : 0
  kms_key_id        = local.encryption_key_arn
  name              = "/aws/cloudtrail/${var.prefix}-audit"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_s3_bucket_ownership_controls" "audit_ownership" {
  count  = local.audit_enabled ? 1 : 0
  bucket = aws_s3_bucket.audit_bucket["0"].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "audit_public_access_block" {
  count                   = local.audit_enabled ? 1 : 0
  block_public_acls       = true
  block_public_policy     = true
  bucket                  = aws_s3_bucket.audit_bucket["0"].id
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_cloudtrail" "audit_trail" {
  count                         = local.audit_enabled ? 1 : 0
  cloud_watch_logs_group_arn    = try(format("%s:*", aws_cloudwatch_log_group.audit_logs["0"].arn), "")
  cloud_watch_logs_role_arn     = try(aws_iam_role.audit_cloudwatch_role["0"].arn, "")
  enable_log_file_validation    = true
  include_global_service_events = true
  is_multi_region_trail         = var.cloudtrail_multi_region
  kms_key_id                    = aws_kms_key.audit_key["0"].arn
  name                          = "${var.prefix}-audit"
  s3_bucket_name                = aws_s3_bucket.audit_bucket["0"].id
  tags                          = merge(var.tags, { "self-runners:prefix" = var.prefix })

  event_selector {
    include_management_events = true
    read_write_type           = "All"
  }
  depends_on = [aws_s3_bucket_policy.audit_bucket_policy, aws_iam_role_policy.audit_cloudwatch_delivery]
}

resource "aws_s3_bucket_versioning" "audit_versioning" {
  count  = local.audit_enabled ? 1 : 0
  bucket = aws_s3_bucket.audit_bucket["0"].id

  versioning_configuration {
    status = "Enabled"
  }
}
