resource "aws_sqs_queue" "job_dlq" {
  for_each                          = local.pools_resolved
  deduplication_scope               = "messageGroup"
  fifo_queue                        = true
  fifo_throughput_limit             = "perMessageGroupId"
  kms_data_key_reuse_period_seconds = (local.encryption_key_arn == null) ? null : 3600
  kms_master_key_id                 = local.encryption_key_arn
  message_retention_seconds         = 1209600
  name                              = "${var.prefix}-${each.key}-dlq.fifo"
  sqs_managed_sse_enabled           = (local.encryption_key_arn == null) ? true : null
  tags                              = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:pool" = each.key })
}

resource "aws_sqs_queue" "job_queue" {
  for_each                          = local.pools_resolved
  deduplication_scope               = "messageGroup"
  fifo_queue                        = true
  fifo_throughput_limit             = "perMessageGroupId"
  kms_data_key_reuse_period_seconds = (local.encryption_key_arn == null) ? null : 3600
  kms_master_key_id                 = local.encryption_key_arn
  message_retention_seconds         = 86400
  name                              = "${var.prefix}-${each.key}.fifo"
  redrive_policy                    = jsonencode({ "deadLetterTargetArn" = aws_sqs_queue.job_dlq[each.key].arn, "maxReceiveCount" = 100 })
  sqs_managed_sse_enabled           = (local.encryption_key_arn == null) ? true : null
  tags                              = merge(merge(var.tags, { "self-runners:prefix" = var.prefix }), { "self-runners:pool" = each.key })
  visibility_timeout_seconds        = 180
}
