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

resource "aws_sqs_queue_policy" "job_dlq_policy" {
  for_each  = aws_sqs_queue.job_dlq
  policy    = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "AccountAdministers", "Principal" = { "AWS" = "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:root" }, "Action" = ["sqs:*"], "Resource" = each.value.arn }, { "Effect" = "Deny", "Sid" = "OnlyTheKitMovesJobs", "Principal" = "*", "Action" = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"], "Resource" = each.value.arn, "Condition" = { "ArnNotEquals" = { "aws:PrincipalArn" = [aws_iam_role.webhook_role.arn, aws_iam_role.scale_up_role.arn, aws_iam_role.reconcile_role.arn, aws_iam_role.spot_interruption_role.arn] }, "StringNotEquals" = { "aws:PrincipalTag/self-runners:operator" = var.prefix } } }] })
  queue_url = each.value.url
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

resource "aws_sqs_queue_policy" "job_queue_policy" {
  for_each  = aws_sqs_queue.job_queue
  policy    = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "AccountAdministers", "Principal" = { "AWS" = "arn:${data.aws_partition.current_partition.partition}:iam::${data.aws_caller_identity.current_account.account_id}:root" }, "Action" = ["sqs:*"], "Resource" = each.value.arn }, { "Effect" = "Deny", "Sid" = "OnlyTheKitMovesJobs", "Principal" = "*", "Action" = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"], "Resource" = each.value.arn, "Condition" = { "ArnNotEquals" = { "aws:PrincipalArn" = [aws_iam_role.webhook_role.arn, aws_iam_role.scale_up_role.arn, aws_iam_role.reconcile_role.arn, aws_iam_role.spot_interruption_role.arn] }, "StringNotEquals" = { "aws:PrincipalTag/self-runners:operator" = var.prefix } } }] })
  queue_url = each.value.url
}
