resource "aws_dynamodb_resource_policy" "jobs_resource_policy" {
  policy       = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Deny", "Sid" = "OnlyKitRolesTouchItems", "Principal" = "*", "Action" = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:ExportTableToPointInTime", "dynamodb:CreateBackup"], "Resource" = [aws_dynamodb_table.jobs_table.arn, "${aws_dynamodb_table.jobs_table.arn}/*"], "Condition" = { "ArnNotEquals" = { "aws:PrincipalArn" = ["arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/${trimprefix(var.iam_role_path, "/")}${var.prefix}-webhook", "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/${trimprefix(var.iam_role_path, "/")}${var.prefix}-scale-up", "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/${trimprefix(var.iam_role_path, "/")}${var.prefix}-reconcile", "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/${trimprefix(var.iam_role_path, "/")}${var.prefix}-spot-interruption", "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:role/${trimprefix(var.iam_role_path, "/")}${var.prefix}-build-cache"] } } }] })
  resource_arn = aws_dynamodb_table.jobs_table.arn
}

resource "aws_dynamodb_table" "jobs_table" {
  billing_mode                = "PAY_PER_REQUEST"
  deletion_protection_enabled = false
  hash_key                    = "pk"
  name                        = "${var.prefix}-jobs"
  tags                        = merge(var.tags, { "self-runners:prefix" = var.prefix })

  attribute {
    name = "pk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.job_ledger_point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.encryption_key_arn
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }
}
