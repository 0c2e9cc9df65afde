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
