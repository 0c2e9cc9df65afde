resource "aws_cloudwatch_metric_alarm" "operations_alarms_dlq_not_empty" {
  for_each            = local.operations_alarms_enabled ? local.pools_resolved : {}
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "A job of this pool was dead-lettered (unreadable, too old or refused for good); its runner never came. Runbook: ${var.runbook_base_url}#dlq-not-empty"
  alarm_name          = "${var.prefix}-dlq-not-empty-${each.key}"
  comparison_operator = "GreaterThanThreshold"
  dimensions = {
    QueueName = "${var.prefix}-${each.key}-dlq.fifo"
  }
  evaluation_periods = 1
  metric_name        = "ApproximateNumberOfMessagesVisible"
  namespace          = "AWS/SQS"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Maximum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = 0
  treat_missing_data = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_fleet_failures" {
  count               = local.operations_alarms_enabled ? 1 : 0
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "A CreateFleet launched nothing after all retries and the on-demand fallback (capacity, quota or launch template). Runbook: ${var.runbook_base_url}#fleet-failures"
  alarm_name          = "${var.prefix}-fleet-failures"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  dimensions = {
    service = "scale-up"
  }
  evaluation_periods = 1
  metric_name        = "FleetFailures"
  namespace          = "SelfRunners/${var.prefix}"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Sum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = 1
  treat_missing_data = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_function_errors" {
  for_each            = local.operations_alarms_enabled ? local.operations_function_names : {}
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "This function failed invocations in two of the last three 5-minute periods. Runbook: ${var.runbook_base_url}#function-errors"
  alarm_name          = "${var.prefix}-function-errors-${each.key}"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  datapoints_to_alarm = 2
  dimensions = {
    FunctionName = each.value
  }
  evaluation_periods = 3
  metric_name        = "Errors"
  namespace          = "AWS/Lambda"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Sum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = 1
  treat_missing_data = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_function_throttles" {
  for_each            = local.operations_alarms_enabled ? local.operations_function_names : {}
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "This function was throttled in two of the last three 5-minute periods. Runbook: ${var.runbook_base_url}#function-throttles"
  alarm_name          = "${var.prefix}-function-throttles-${each.key}"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  datapoints_to_alarm = 2
  dimensions = {
    FunctionName = each.value
  }
  evaluation_periods = 3
  metric_name        = "Throttles"
  namespace          = "AWS/Lambda"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Sum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = 1
  treat_missing_data = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_github_budget_low" {
  for_each            = toset(local.operations_alarms_enabled ? concat([var.github_app_id], [for key, val in toset(var.additional_github_apps) : val.app_id]) : [])
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "This GitHub App's remaining hourly API requests are low; launches slow down at github_min_remaining_requests. Runbook: ${var.runbook_base_url}#github-budget-low"
  alarm_name          = "${var.prefix}-github-budget-low-${each.key}"
  comparison_operator = "LessThanThreshold"
  dimensions = {
    App     = each.value
    service = "scale-up"
  }
  evaluation_periods = 1
  metric_name        = "GitHubBudgetRemaining"
  namespace          = "SelfRunners/${var.prefix}"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Minimum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = var.alarm_github_budget_min
  treat_missing_data = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_launch_failures" {
  count               = local.operations_alarms_enabled ? 1 : 0
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "Launches failed in two of the last three 5-minute periods (no instance, or its configuration not written); jobs are retried but wait. Runbook: ${var.runbook_base_url}#launch-failures"
  alarm_name          = "${var.prefix}-launch-failures"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  datapoints_to_alarm = 2
  dimensions = {
    service = "scale-up"
  }
  evaluation_periods = 3
  metric_name        = "LaunchFailures"
  namespace          = "SelfRunners/${var.prefix}"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Sum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = 1
  treat_missing_data = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_nat_failover" {
  count               = (local.operations_alarms_enabled && local.enable_nat_instances) ? 1 : 0
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "A private route was moved to another NAT: a NAT instance failed its probes or stopped. Runbook: ${var.runbook_base_url}#nat-failover"
  alarm_name          = "${var.prefix}-nat-failover"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  dimensions = {
    service = "nat-failover"
  }
  evaluation_periods = 1
  metric_name        = "NatRouteReplacements"
  namespace          = "SelfRunners/${var.prefix}"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Sum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = 1
  treat_missing_data = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_nat_no_healthy_target" {
  count               = (local.operations_alarms_enabled && local.enable_nat_instances) ? 1 : 0
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "The NAT failover found no healthy NAT to route to: an AZ has no egress. Runbook: ${var.runbook_base_url}#nat-no-healthy-target"
  alarm_name          = "${var.prefix}-nat-no-healthy-target"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  dimensions = {
    service = "nat-failover"
  }
  evaluation_periods = 1
  metric_name        = "NatNoHealthyTarget"
  namespace          = "SelfRunners/${var.prefix}"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Sum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = 1
  treat_missing_data = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_queue_age_high" {
  for_each            = local.operations_alarms_enabled ? local.pools_resolved : {}
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "A job of this pool has waited on its queue longer than the threshold. Runbook: ${var.runbook_base_url}#queue-age-high"
  alarm_name          = "${var.prefix}-queue-age-high-${each.key}"
  comparison_operator = "GreaterThanThreshold"
  dimensions = {
    QueueName = "${var.prefix}-${each.key}.fifo"
  }
  evaluation_periods = 1
  metric_name        = "ApproximateAgeOfOldestMessage"
  namespace          = "AWS/SQS"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Maximum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = var.alarm_queue_age_seconds
  treat_missing_data = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_reconcile_not_running" {
  count               = local.operations_alarms_enabled ? 1 : 0
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "The reconciler has not been invoked for two schedule periods: orphans, stuck jobs and runner counts go unattended. Runbook: ${var.runbook_base_url}#reconcile-not-running"
  alarm_name          = "${var.prefix}-reconcile-not-running"
  comparison_operator = "LessThanThreshold"
  dimensions = {
    FunctionName = "${var.prefix}-reconcile"
  }
  evaluation_periods = 2
  metric_name        = "Invocations"
  namespace          = "AWS/Lambda"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = min(max(can(regex("^rate", var.reconcile_schedule_expression)) ? (length(regexall("hour", var.reconcile_schedule_expression)) >= 1) ? (tonumber(try(regex("[0-9]+", var.reconcile_schedule_expression), "60")) * 3600) : (tonumber(try(regex("[0-9]+", var.reconcile_schedule_expression), "60")) * 60) : 3600, 60), 43200)
  statistic          = "Sum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = 1
  treat_missing_data = "breaching"
}

resource "aws_cloudwatch_metric_alarm" "operations_alarms_waf_blocked_spike" {
  count               = (local.operations_alarms_enabled && var.enable_waf) ? 1 : 0
  alarm_actions       = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description   = "The webhook's web ACL blocked more requests than the threshold in 5 minutes: an attack, or GitHub's deliveries refused. Runbook: ${var.runbook_base_url}#waf-blocked-spike"
  alarm_name          = "${var.prefix}-waf-blocked-spike"
  comparison_operator = "GreaterThanThreshold"
  dimensions = {
    Region = data.aws_region.current_region.id
    Rule   = "ALL"
    WebACL = "${var.prefix}-webhook"
  }
  evaluation_periods = 1
  metric_name        = "BlockedRequests"
  namespace          = "AWS/WAFV2"
  ok_actions         = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  period             = 300
  statistic          = "Sum"
  tags               = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold          = var.alarm_waf_blocked_requests
  treat_missing_data = "notBreaching"
}

resource "aws_ce_anomaly_monitor" "operations_cost_anomaly_monitor" {
  count                 = var.enable_cost_anomaly_detection ? 1 : 0
  monitor_specification = jsonencode({ "Tags" = { "Key" = "self-runners:prefix", "Values" = [var.prefix], "MatchOptions" = ["EQUALS"] } })
  monitor_type          = "CUSTOM"
  name                  = "${var.prefix}-cost"
  tags                  = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_ce_anomaly_subscription" "operations_cost_anomaly_subscription" {
  count            = var.enable_cost_anomaly_detection ? 1 : 0
  frequency        = "IMMEDIATE"
  monitor_arn_list = [aws_ce_anomaly_monitor.operations_cost_anomaly_monitor["0"].arn]
  name             = "${var.prefix}-cost"
  tags             = merge(var.tags, { "self-runners:prefix" = var.prefix })

  subscriber {
    address = local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn
    type    = "SNS"
  }

  threshold_expression {
    dimension {
      key           = "ANOMALY_TOTAL_IMPACT_ABSOLUTE"
      match_options = ["GREATER_THAN_OR_EQUAL"]
      values        = [tostring(var.cost_anomaly_threshold_usd)]
    }
  }
}

resource "aws_budgets_budget" "operations_cost_budget" {
  count        = (signum(var.budget_monthly_limit_usd) == 1) ? 1 : 0
  budget_type  = "COST"
  limit_amount = tostring(var.budget_monthly_limit_usd)
  limit_unit   = "USD"
  name         = "${var.prefix}-monthly"
  tags         = merge(var.tags, { "self-runners:prefix" = var.prefix })
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:self-runners:prefix$%s", var.prefix)]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
  }
}

resource "aws_ce_cost_allocation_tag" "operations_cost_cost_allocation_tag" {
  for_each = toset(var.activate_cost_allocation_tags ? ["self-runners:prefix", "self-runners:pool"] : [])
  status   = "Active"
  tag_key  = each.value
}

resource "aws_cloudwatch_composite_alarm" "operations_slo_dispatch_success_page" {
  count             = local.operations_slo_enabled ? 1 : 0
  alarm_actions     = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description = "Page: dispatch success is burning its error budget at 14.4x or more over 1 h and 5 min. Runbook: ${var.runbook_base_url}#slo-dispatch-success"
  alarm_name        = "${var.prefix}-slo-dispatch-success-page"
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_page_long["0"].alarm_name}\") AND ALARM(\"${aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_page_short["0"].alarm_name}\")"
  ok_actions        = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_metric_alarm" "operations_slo_dispatch_success_page_long" {
  count               = local.operations_slo_enabled ? 1 : 0
  alarm_description   = "Bad-event ratio of the dispatch-success SLO over 60 min at or above 14.4x its error budget (one window of ${var.prefix}-slo-dispatch-success-page; notifies through the composite)."
  alarm_name          = "${var.prefix}-slo-dispatch-success-page-long"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold           = min((14.4 * (1 - (var.slo_dispatch_success_percent / 100))), 1)
  treat_missing_data  = "notBreaching"

  metric_query {
    id = "good"

    metric {
      dimensions = {
        service = "scale-up"
      }
      metric_name = "JobsDispatched"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 3600
      stat        = "Sum"
    }
  }

  metric_query {
    id = "failed"

    metric {
      dimensions = {
        service = "scale-up"
      }
      metric_name = "JobsDispatchFailed"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 3600
      stat        = "Sum"
    }
  }

  metric_query {
    expression  = "FILL(failed, 0) / (FILL(good, 0) + FILL(failed, 0))"
    id          = "bad"
    label       = "share of jobs given up"
    return_data = true
  }
}

resource "aws_cloudwatch_metric_alarm" "operations_slo_dispatch_success_page_short" {
  count               = local.operations_slo_enabled ? 1 : 0
  alarm_description   = "Bad-event ratio of the dispatch-success SLO over 5 min at or above 14.4x its error budget (one window of ${var.prefix}-slo-dispatch-success-page; notifies through the composite)."
  alarm_name          = "${var.prefix}-slo-dispatch-success-page-short"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold           = min((14.4 * (1 - (var.slo_dispatch_success_percent / 100))), 1)
  treat_missing_data  = "notBreaching"

  metric_query {
    id = "good"

    metric {
      dimensions = {
        service = "scale-up"
      }
      metric_name = "JobsDispatched"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "failed"

    metric {
      dimensions = {
        service = "scale-up"
      }
      metric_name = "JobsDispatchFailed"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    expression  = "FILL(failed, 0) / (FILL(good, 0) + FILL(failed, 0))"
    id          = "bad"
    label       = "share of jobs given up"
    return_data = true
  }
}

resource "aws_cloudwatch_composite_alarm" "operations_slo_dispatch_success_ticket" {
  count             = local.operations_slo_enabled ? 1 : 0
  alarm_actions     = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description = "Ticket: dispatch success is burning its error budget at 6x or more over 6 h and 30 min. Runbook: ${var.runbook_base_url}#slo-dispatch-success"
  alarm_name        = "${var.prefix}-slo-dispatch-success-ticket"
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_ticket_long["0"].alarm_name}\") AND ALARM(\"${aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_ticket_short["0"].alarm_name}\")"
  ok_actions        = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_metric_alarm" "operations_slo_dispatch_success_ticket_long" {
  count               = local.operations_slo_enabled ? 1 : 0
  alarm_description   = "Bad-event ratio of the dispatch-success SLO over 360 min at or above 6x its error budget (one window of ${var.prefix}-slo-dispatch-success-ticket; notifies through the composite)."
  alarm_name          = "${var.prefix}-slo-dispatch-success-ticket-long"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold           = min((6 * (1 - (var.slo_dispatch_success_percent / 100))), 1)
  treat_missing_data  = "notBreaching"

  metric_query {
    id = "good"

    metric {
      dimensions = {
        service = "scale-up"
      }
      metric_name = "JobsDispatched"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 21600
      stat        = "Sum"
    }
  }

  metric_query {
    id = "failed"

    metric {
      dimensions = {
        service = "scale-up"
      }
      metric_name = "JobsDispatchFailed"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 21600
      stat        = "Sum"
    }
  }

  metric_query {
    expression  = "FILL(failed, 0) / (FILL(good, 0) + FILL(failed, 0))"
    id          = "bad"
    label       = "share of jobs given up"
    return_data = true
  }
}

resource "aws_cloudwatch_metric_alarm" "operations_slo_dispatch_success_ticket_short" {
  count               = local.operations_slo_enabled ? 1 : 0
  alarm_description   = "Bad-event ratio of the dispatch-success SLO over 30 min at or above 6x its error budget (one window of ${var.prefix}-slo-dispatch-success-ticket; notifies through the composite)."
  alarm_name          = "${var.prefix}-slo-dispatch-success-ticket-short"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold           = min((6 * (1 - (var.slo_dispatch_success_percent / 100))), 1)
  treat_missing_data  = "notBreaching"

  metric_query {
    id = "good"

    metric {
      dimensions = {
        service = "scale-up"
      }
      metric_name = "JobsDispatched"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 1800
      stat        = "Sum"
    }
  }

  metric_query {
    id = "failed"

    metric {
      dimensions = {
        service = "scale-up"
      }
      metric_name = "JobsDispatchFailed"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 1800
      stat        = "Sum"
    }
  }

  metric_query {
    expression  = "FILL(failed, 0) / (FILL(good, 0) + FILL(failed, 0))"
    id          = "bad"
    label       = "share of jobs given up"
    return_data = true
  }
}

resource "aws_cloudwatch_composite_alarm" "operations_slo_time_to_runner_page" {
  count             = local.operations_slo_enabled ? 1 : 0
  alarm_actions     = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description = "Page: time to runner is burning its error budget at 14.4x or more over 1 h and 5 min. Runbook: ${var.runbook_base_url}#slo-time-to-runner"
  alarm_name        = "${var.prefix}-slo-time-to-runner-page"
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_page_long["0"].alarm_name}\") AND ALARM(\"${aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_page_short["0"].alarm_name}\")"
  ok_actions        = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_metric_alarm" "operations_slo_time_to_runner_page_long" {
  count               = local.operations_slo_enabled ? 1 : 0
  alarm_description   = "Bad-event ratio of the time-to-runner SLO over 60 min at or above 14.4x its error budget (one window of ${var.prefix}-slo-time-to-runner-page; notifies through the composite)."
  alarm_name          = "${var.prefix}-slo-time-to-runner-page-long"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold           = min((14.4 * (1 - (var.slo_time_to_runner_percent / 100))), 1)
  treat_missing_data  = "notBreaching"

  metric_query {
    id = "fast"

    metric {
      dimensions = {
        service = "webhook"
      }
      metric_name = "TimeToRunner"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 3600
      stat        = "PR(:${var.slo_time_to_runner_seconds})"
    }
  }

  metric_query {
    expression  = "(100 - fast) / 100"
    id          = "bad"
    label       = "share of jobs slower than the SLO"
    return_data = true
  }
}

resource "aws_cloudwatch_metric_alarm" "operations_slo_time_to_runner_page_short" {
  count               = local.operations_slo_enabled ? 1 : 0
  alarm_description   = "Bad-event ratio of the time-to-runner SLO over 5 min at or above 14.4x its error budget (one window of ${var.prefix}-slo-time-to-runner-page; notifies through the composite)."
  alarm_name          = "${var.prefix}-slo-time-to-runner-page-short"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold           = min((14.4 * (1 - (var.slo_time_to_runner_percent / 100))), 1)
  treat_missing_data  = "notBreaching"

  metric_query {
    id = "fast"

    metric {
      dimensions = {
        service = "webhook"
      }
      metric_name = "TimeToRunner"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 300
      stat        = "PR(:${var.slo_time_to_runner_seconds})"
    }
  }

  metric_query {
    expression  = "(100 - fast) / 100"
    id          = "bad"
    label       = "share of jobs slower than the SLO"
    return_data = true
  }
}

resource "aws_cloudwatch_composite_alarm" "operations_slo_time_to_runner_ticket" {
  count             = local.operations_slo_enabled ? 1 : 0
  alarm_actions     = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  alarm_description = "Ticket: time to runner is burning its error budget at 6x or more over 6 h and 30 min. Runbook: ${var.runbook_base_url}#slo-time-to-runner"
  alarm_name        = "${var.prefix}-slo-time-to-runner-ticket"
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_ticket_long["0"].alarm_name}\") AND ALARM(\"${aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_ticket_short["0"].alarm_name}\")"
  ok_actions        = [local.operations_topic_create ? try(aws_sns_topic.operations_topic["0"].arn, "") : var.alarm_topic_arn]
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}

resource "aws_cloudwatch_metric_alarm" "operations_slo_time_to_runner_ticket_long" {
  count               = local.operations_slo_enabled ? 1 : 0
  alarm_description   = "Bad-event ratio of the time-to-runner SLO over 360 min at or above 6x its error budget (one window of ${var.prefix}-slo-time-to-runner-ticket; notifies through the composite)."
  alarm_name          = "${var.prefix}-slo-time-to-runner-ticket-long"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold           = min((6 * (1 - (var.slo_time_to_runner_percent / 100))), 1)
  treat_missing_data  = "notBreaching"

  metric_query {
    id = "fast"

    metric {
      dimensions = {
        service = "webhook"
      }
      metric_name = "TimeToRunner"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 21600
      stat        = "PR(:${var.slo_time_to_runner_seconds})"
    }
  }

  metric_query {
    expression  = "(100 - fast) / 100"
    id          = "bad"
    label       = "share of jobs slower than the SLO"
    return_data = true
  }
}

resource "aws_cloudwatch_metric_alarm" "operations_slo_time_to_runner_ticket_short" {
  count               = local.operations_slo_enabled ? 1 : 0
  alarm_description   = "Bad-event ratio of the time-to-runner SLO over 30 min at or above 6x its error budget (one window of ${var.prefix}-slo-time-to-runner-ticket; notifies through the composite)."
  alarm_name          = "${var.prefix}-slo-time-to-runner-ticket-short"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  tags                = merge(var.tags, { "self-runners:prefix" = var.prefix })
  threshold           = min((6 * (1 - (var.slo_time_to_runner_percent / 100))), 1)
  treat_missing_data  = "notBreaching"

  metric_query {
    id = "fast"

    metric {
      dimensions = {
        service = "webhook"
      }
      metric_name = "TimeToRunner"
      namespace   = "SelfRunners/${var.prefix}"
      period      = 1800
      stat        = "PR(:${var.slo_time_to_runner_seconds})"
    }
  }

  metric_query {
    expression  = "(100 - fast) / 100"
    id          = "bad"
    label       = "share of jobs slower than the SLO"
    return_data = true
  }
}

resource "aws_sns_topic_policy" "operations_topic_policy" {
  count  = local.operations_topic_create ? 1 : 0
  arn    = aws_sns_topic.operations_topic["0"].arn
  policy = jsonencode({ "Version" = "2012-10-17", "Statement" = [{ "Effect" = "Allow", "Sid" = "CloudWatchAlarmsPublish", "Principal" = { "Service" = "cloudwatch.amazonaws.com" }, "Action" = ["sns:Publish"], "Resource" = aws_sns_topic.operations_topic["0"].arn, "Condition" = { "StringEquals" = { "aws:SourceAccount" = data.aws_caller_identity.current_account.account_id }, "ArnLike" = { "aws:SourceArn" = "arn:${data.aws_partition.current_partition.partition}:cloudwatch:${data.aws_region.current_region.id}:${data.aws_caller_identity.current_account.account_id}:alarm:${var.prefix}-*" } } }, { "Effect" = "Allow", "Sid" = "BudgetsPublish", "Principal" = { "Service" = "budgets.amazonaws.com" }, "Action" = ["sns:Publish"], "Resource" = aws_sns_topic.operations_topic["0"].arn, "Condition" = { "StringEquals" = { "aws:SourceAccount" = data.aws_caller_identity.current_account.account_id }, "ArnLike" = { "aws:SourceArn" = "arn:${data.aws_partition.current_partition.partition}:budgets::${data.aws_caller_identity.current_account.account_id}:budget/${var.prefix}-*" } } }, { "Effect" = "Allow", "Sid" = "CostAnomalyDetectionPublish", "Principal" = { "Service" = "costalerts.amazonaws.com" }, "Action" = ["sns:Publish"], "Resource" = aws_sns_topic.operations_topic["0"].arn, "Condition" = { "StringEquals" = { "aws:SourceAccount" = data.aws_caller_identity.current_account.account_id } } }] })
}

resource "aws_sns_topic" "operations_topic" {
  count             = local.operations_topic_create ? 1 : 0
  display_name      = "self-runners ${var.prefix} alarms"
  kms_master_key_id = local.encryption_key_arn
  name              = "${var.prefix}-alarms"
  tags              = merge(var.tags, { "self-runners:prefix" = var.prefix })
}
