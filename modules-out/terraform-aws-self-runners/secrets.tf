resource "aws_iam_role_policy" "github_app_deny_read" {
  name   = "deny-github-app-secrets"
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Deny", "Sid" = "DenyGitHubAppSecrets", "Action" = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory", "ssm:GetParametersByPath"], "Resource" = ["arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))}", "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret"))}", "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter${coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret-previous"))}", "arn:${data.aws_partition.current_partition.partition}:ssm:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:parameter/${var.prefix}/*"] }] })
  role   = aws_iam_role.runner_role.id
}

resource "aws_ssm_parameter" "github_app_private_key" {
  count       = (1 - min(length(compact([var.github_app_private_key_ssm_parameter_name])), 1))
  description = "self-runners private-key; set the real value with aws ssm put-parameter --overwrite"
  key_id      = local.encryption_key_arn
  name        = format("/%s/github-app/%s", var.prefix, "private-key")
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  type        = "SecureString"
  value       = "replace-me"

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "github_app_webhook_secret" {
  count       = (1 - min(length(compact([var.webhook_secret_ssm_parameter_name])), 1))
  description = "self-runners webhook-secret; set the real value with aws ssm put-parameter --overwrite"
  key_id      = local.encryption_key_arn
  name        = format("/%s/github-app/%s", var.prefix, "webhook-secret")
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  type        = "SecureString"
  value       = "replace-me"

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "github_app_webhook_secret_previous" {
  count       = (1 - min(length(compact([var.webhook_previous_secret_ssm_parameter_name])), 1))
  description = "self-runners webhook-secret-previous; set the real value with aws ssm put-parameter --overwrite"
  key_id      = local.encryption_key_arn
  name        = format("/%s/github-app/%s", var.prefix, "webhook-secret-previous")
  tags        = merge(var.tags, { "self-runners:prefix" = var.prefix })
  type        = "SecureString"
  value       = "replace-me"

  lifecycle {
    ignore_changes = [value]
  }
}
