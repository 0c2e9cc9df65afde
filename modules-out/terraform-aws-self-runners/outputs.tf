output "alarm_topic_arn" {
  description = "SNS topic of every alarm, budget and cost anomaly alert: the one created (<prefix>-alarms) or alarm_topic_arn. Subscribe to it."
  value       = local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn
}

output "build_cache_bucket_name" {
  description = "S3 bucket of the build cache's blobs (no runner role may read it); empty when enable_build_cache is false."
  value       = try(aws_s3_bucket.build_cache_bucket["0"].bucket, "")
}

output "build_cache_function_url" {
  description = "URL of the build cache function (IAM authentication; runners' agents sign their calls with the instance role); empty when enable_build_cache is false."
  value       = try(aws_lambda_function_url.build_cache_function_url["0"].function_url, "")
}

output "build_cache_index_table_name" {
  description = "DynamoDB index table of the build cache; empty when enable_build_cache is false."
  value       = try(aws_dynamodb_table.build_cache_index_table["0"].name, "")
}

output "cloudtrail_arn" {
  description = "ARN of the audit trail: the one created, or existing_cloudtrail_arn; empty when enable_cloudtrail is false and none is given."
  value       = (length(var.existing_cloudtrail_arn) < 1) ? try(aws_cloudtrail.audit_trail["0"].arn, "") : var.existing_cloudtrail_arn
}

output "cloudtrail_bucket_name" {
  description = "S3 bucket holding the trail's log files; empty when no trail is created."
  value       = try(aws_s3_bucket.audit_bucket["0"].bucket, "")
}

output "dead_letter_queue_arns" {
  description = "Dead-letter queue ARN per pool; alarm on their depth."
  value       = { for key, val in aws_sqs_queue.job_dlq : key => val.arn }
}

output "draining_ssm_parameter_name" {
  description = "SSM parameter holding the draining switch (\"true\" pauses launches)."
  value       = format("/%s/draining", var.prefix)
}

output "github_app_private_key_ssm_parameter_name" {
  description = "SSM SecureString parameter holding the GitHub App's private key (PEM)."
  value       = coalesce(var.github_app_private_key_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "private-key"))
}

output "jobs_table_name" {
  description = "DynamoDB job ledger table: one item per job attempt with its phase and side effects (docs/reliability.md)."
  value       = aws_dynamodb_table.jobs_table.name
}

output "kms_key_arn" {
  description = "ARN of the customer managed KMS key in use (created or given); empty when AWS-managed encryption is used."
  value       = local.encryption_enabled ? local.encryption_key_arn : ""
}

output "launch_template_ids" {
  description = "Launch template id per pool."
  value       = { for key, val in aws_launch_template.runner_launch_template : key => val.id }
}

output "nat_autoscaling_group_names" {
  description = "Auto Scaling group of the NAT instance per AZ; empty when enable_nat_instances is false."
  value       = { for key, val in aws_autoscaling_group.nat_asg : key => val.name }
}

output "nat_failover_function_names" {
  description = "NAT failover function per AZ; empty when enable_nat_instances is false."
  value       = { for key, val in aws_lambda_function.nat_failover_function : key => val.function_name }
}

output "nat_security_group_id" {
  description = "Security group of the NAT instances; empty when enable_nat_instances is false."
  value       = try(aws_security_group.nat_security_group["0"].id, "")
}

output "queue_arns" {
  description = "Job queue ARN per pool."
  value       = { for key, val in aws_sqs_queue.job_queue : key => val.arn }
}

output "queue_urls" {
  description = "Job queue URL per pool."
  value       = { for key, val in aws_sqs_queue.job_queue : key => val.url }
}

output "reconcile_function_name" {
  description = "Name of the reconcile function."
  value       = aws_lambda_function.reconcile_function.function_name
}

output "reconcile_role_arn" {
  description = "IAM role ARN of the reconcile function."
  value       = aws_iam_role.reconcile_role.arn
}

output "runner_image_pipeline_arns" {
  description = "EC2 Image Builder pipeline ARN per runner_images key; build one now with aws imagebuilder start-image-pipeline-execution --image-pipeline-arn ARN."
  value       = { for key, val in aws_imagebuilder_image_pipeline.runner_images_pipeline : key => val.arn }
}

output "runner_image_ssm_parameter_names" {
  description = "SSM parameter per runner_images key that holds the newest baked AMI id (a pool's AMI parameter)."
  value       = { for key, val in aws_imagebuilder_distribution_configuration.runner_images_distribution : key => one(one(val.distribution).ssm_parameter_configuration).parameter_name }
}

output "runner_instance_profile_arn" {
  description = "Instance profile ARN of runner instances."
  value       = aws_iam_instance_profile.runner_instance_profile.arn
}

output "runner_pool_role_arns" {
  description = "IAM role ARN per pool that sets extra_iam_policy_arns (its runners' own role: the shared role's grants plus those policies)."
  value       = { for key, val in aws_iam_role.runner_pool_role : key => val.arn }
}

output "runner_role_arn" {
  description = "IAM role ARN of runner instances of pools without extra_iam_policy_arns; attach policies here for jobs that need AWS access."
  value       = aws_iam_role.runner_role.arn
}

output "runner_security_group_id" {
  description = "Security group of runner instances; allow it where runners must connect."
  value       = aws_security_group.runner_security_group.id
}

output "runners_table_name" {
  description = "DynamoDB table of launched runners."
  value       = aws_dynamodb_table.runners_table.name
}

output "scale_up_function_name" {
  description = "Name of the scale-up function."
  value       = aws_lambda_function.scale_up_function.function_name
}

output "scale_up_role_arn" {
  description = "IAM role ARN of the scale-up function."
  value       = aws_iam_role.scale_up_role.arn
}

output "spot_interruption_function_name" {
  description = "Name of the spot interruption function."
  value       = aws_lambda_function.spot_interruption_function.function_name
}

output "vpc_endpoint_ids" {
  description = "VPC endpoint id per service (interface and gateway); empty when create_vpc_endpoints is false."
  value       = merge({ for key, val in aws_vpc_endpoint.vpc_endpoints_interface : key => val.id }, { for key, val in aws_vpc_endpoint.vpc_endpoints_gateway : key => val.id })
}

output "vpc_endpoint_security_group_id" {
  description = "Security group of the interface endpoints; empty when create_vpc_endpoints is false."
  value       = try(aws_security_group.vpc_endpoints_security_group["0"].id, "")
}

output "waf_log_group_name" {
  description = "CloudWatch Logs group of the WAF request logs (aws-waf-logs-<prefix>); empty when enable_waf is false."
  value       = try(aws_cloudwatch_log_group.webhook_firewall_logs["0"].name, "")
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL in front of the webhook stage; empty when enable_waf is false."
  value       = try(aws_wafv2_web_acl.webhook_firewall_web_acl["0"].arn, "")
}

output "webhook_function_name" {
  description = "Name of the webhook function."
  value       = aws_lambda_function.webhook_function.function_name
}

output "webhook_previous_secret_ssm_parameter_name" {
  description = "SSM SecureString parameter for the previous webhook secret during a rotation (the placeholder outside one)."
  value       = coalesce(var.webhook_previous_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret-previous"))
}

output "webhook_role_arn" {
  description = "IAM role ARN of the webhook function."
  value       = aws_iam_role.webhook_role.arn
}

output "webhook_secret_ssm_parameter_name" {
  description = "SSM SecureString parameter holding the webhook secret (set the same value in the GitHub App)."
  value       = coalesce(var.webhook_secret_ssm_parameter_name, format("/%s/github-app/%s", var.prefix, "webhook-secret"))
}

output "webhook_url" {
  description = "Payload URL to paste into the GitHub App's webhook settings."
  value       = "${aws_api_gateway_stage.webhook_api_stage.invoke_url}/webhook"
}
