# The alarm topic, the service alarms and the dashboard: defaults, alarms off, an existing topic, the topic encrypted
# with the kit's key, thresholds reaching the alarms, and refused variable values.
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
    arm = {
      labels         = ["arm"]
      instance_types = ["m7g.large"]
      architecture   = "arm64"
    }
  }
}

run "operations_defaults" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_metric_alarm.operations_alarms_dlq_not_empty,
      aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures,
      aws_cloudwatch_metric_alarm.operations_alarms_function_errors,
      aws_cloudwatch_metric_alarm.operations_alarms_function_throttles,
      aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low,
      aws_cloudwatch_metric_alarm.operations_alarms_launch_failures,
      aws_cloudwatch_metric_alarm.operations_alarms_nat_failover,
      aws_cloudwatch_metric_alarm.operations_alarms_nat_no_healthy_target,
      aws_cloudwatch_metric_alarm.operations_alarms_queue_age_high,
      aws_cloudwatch_metric_alarm.operations_alarms_reconcile_not_running,
      aws_cloudwatch_metric_alarm.operations_alarms_waf_blocked_spike,
      aws_kms_key.encryption_key,
      aws_sns_topic.operations_topic,
      aws_sns_topic_policy.operations_topic_policy,
    ]
  }

  assert {
    condition     = length(aws_sns_topic.operations_topic) == 1 && aws_sns_topic.operations_topic[0].name == "self-runners-alarms" && aws_sns_topic.operations_topic[0].kms_master_key_id == aws_kms_key.encryption_key[0].arn
    error_message = "One topic <prefix>-alarms is created by default, encrypted with the module's key (created by default)."
  }
  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:self-runners-alarms"
    error_message = "alarm_topic_arn is the created topic."
  }
  assert {
    condition = alltrue([
      for sid, s in { for s in jsondecode(aws_sns_topic_policy.operations_topic_policy[0].policy).Statement : s.Sid => s } :
      join(",", s.Action) == "sns:Publish" && s.Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    ]) && join(",", sort(keys({ for s in jsondecode(aws_sns_topic_policy.operations_topic_policy[0].policy).Statement : s.Sid => s }))) == "BudgetsPublish,CloudWatchAlarmsPublish,CostAnomalyDetectionPublish"
    error_message = "CloudWatch, Budgets and Cost Anomaly Detection may publish, from this account only."
  }
  assert {
    condition     = { for s in jsondecode(aws_sns_topic_policy.operations_topic_policy[0].policy).Statement : s.Sid => try(s.Condition.ArnLike["aws:SourceArn"], "") }["CloudWatchAlarmsPublish"] == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:self-runners-*"
    error_message = "Only the deployment's own alarms may publish."
  }
  assert {
    condition     = join(",", sort(keys(aws_cloudwatch_metric_alarm.operations_alarms_dlq_not_empty))) == "arm,linux" && aws_cloudwatch_metric_alarm.operations_alarms_dlq_not_empty["arm"].dimensions.QueueName == "self-runners-arm-dlq.fifo" && aws_cloudwatch_metric_alarm.operations_alarms_dlq_not_empty["arm"].threshold == 0
    error_message = "One DLQ alarm per pool, on its dead-letter queue, firing above 0 messages."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.operations_alarms_queue_age_high["linux"].dimensions.QueueName == "self-runners-linux.fifo" && aws_cloudwatch_metric_alarm.operations_alarms_queue_age_high["linux"].threshold == 1800
    error_message = "One queue-age alarm per pool at 1800 s by default."
  }
  assert {
    condition     = join(",", sort(keys(aws_cloudwatch_metric_alarm.operations_alarms_function_errors))) == "reconcile,scale-up,spot-interruption,webhook" && aws_cloudwatch_metric_alarm.operations_alarms_function_throttles["scale-up"].dimensions.FunctionName == "self-runners-scale-up"
    error_message = "Errors and throttles alarms for each function of the kit (no allowlist updater, no NAT failover by default)."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.operations_alarms_reconcile_not_running[0].period == 300 && aws_cloudwatch_metric_alarm.operations_alarms_reconcile_not_running[0].evaluation_periods == 2 && aws_cloudwatch_metric_alarm.operations_alarms_reconcile_not_running[0].treat_missing_data == "breaching"
    error_message = "reconcile-not-running watches two 5-minute periods of the default schedule, and missing data breaches."
  }
  assert {
    condition     = join(",", keys(aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low)) == "123456" && aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low["123456"].dimensions == tomap({ App = "123456", service = "scale-up" }) && aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low["123456"].namespace == "SelfRunners/self-runners"
    error_message = "One GitHub budget alarm per App, on the kit's namespace with dimensions service and App."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.operations_alarms_waf_blocked_spike) == 1 && aws_cloudwatch_metric_alarm.operations_alarms_waf_blocked_spike[0].dimensions.WebACL == "self-runners-webhook" && length(aws_cloudwatch_metric_alarm.operations_alarms_nat_failover) == 0 && length(aws_cloudwatch_metric_alarm.operations_alarms_nat_no_healthy_target) == 0
    error_message = "The WAF alarm exists with the WAF (on by default); the NAT alarms only with NAT instances."
  }
  assert {
    condition = alltrue(flatten([
      for id, alarms in {
        "dlq-not-empty"         = values(aws_cloudwatch_metric_alarm.operations_alarms_dlq_not_empty)
        "queue-age-high"        = values(aws_cloudwatch_metric_alarm.operations_alarms_queue_age_high)
        "function-errors"       = values(aws_cloudwatch_metric_alarm.operations_alarms_function_errors)
        "function-throttles"    = values(aws_cloudwatch_metric_alarm.operations_alarms_function_throttles)
        "github-budget-low"     = values(aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low)
        "reconcile-not-running" = aws_cloudwatch_metric_alarm.operations_alarms_reconcile_not_running
        "launch-failures"       = aws_cloudwatch_metric_alarm.operations_alarms_launch_failures
        "fleet-failures"        = aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures
        "waf-blocked-spike"     = aws_cloudwatch_metric_alarm.operations_alarms_waf_blocked_spike
      } : [
        for a in alarms : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:self-runners-alarms"]) && a.ok_actions == a.alarm_actions && endswith(a.alarm_description, " Runbook: docs/runbooks.md#${id}") && startswith(a.alarm_name, "self-runners-${id}")
      ]
    ]))
    error_message = "Every alarm is named <prefix>-<id>, sends ALARM and OK to the topic and ends with its runbook link."
  }
}

run "alarms_off" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_metric_alarm.operations_alarms_dlq_not_empty,
      aws_cloudwatch_metric_alarm.operations_alarms_function_errors,
      aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low,
      aws_cloudwatch_metric_alarm.operations_alarms_reconcile_not_running,
      aws_cloudwatch_metric_alarm.operations_alarms_waf_blocked_spike,
      aws_sns_topic.operations_topic,
    ]
  }
  variables {
    enable_alarms = false
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.operations_alarms_dlq_not_empty) + length(aws_cloudwatch_metric_alarm.operations_alarms_function_errors) + length(aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low) + length(aws_cloudwatch_metric_alarm.operations_alarms_reconcile_not_running) + length(aws_cloudwatch_metric_alarm.operations_alarms_waf_blocked_spike) == 0
    error_message = "enable_alarms = false creates no service alarm."
  }
  assert {
    condition     = length(aws_sns_topic.operations_topic) == 1
    error_message = "The topic stays (cost alerts and SLO alarms use it)."
  }
}

run "existing_topic" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures, aws_sns_topic.operations_topic, aws_sns_topic_policy.operations_topic_policy]
  }
  variables {
    alarm_topic_arn = "arn:aws:sns:eu-west-1:123456789012:ops-pager"
  }
  assert {
    condition     = length(aws_sns_topic.operations_topic) == 0 && length(aws_sns_topic_policy.operations_topic_policy) == 0
    error_message = "With alarm_topic_arn nothing is created."
  }
  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:ops-pager" && aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures[0].alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:ops-pager"])
    error_message = "The given topic is the output and every alarm's action."
  }
}

run "topic_encrypted_with_kit_key" {
  command = plan
  plan_options {
    target = [aws_kms_key.encryption_key, aws_sns_topic.operations_topic]
  }
  variables {
    create_kms_key = true
  }
  assert {
    condition     = aws_sns_topic.operations_topic[0].kms_master_key_id == aws_kms_key.encryption_key[0].arn
    error_message = "The topic is encrypted with the kit's key."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.encryption_key[0].policy).Statement :
      join(",", sort(s.Principal.Service)) == "budgets.amazonaws.com,cloudwatch.amazonaws.com,costalerts.amazonaws.com" && s.Condition.StringEquals["aws:SourceAccount"] == "123456789012"
      if s.Sid == "AlarmPublishersUseKey"
    ]) && length([for s in jsondecode(aws_kms_key.encryption_key[0].policy).Statement : s if s.Sid == "AlarmPublishersUseKey"]) == 1
    error_message = "The key policy lets the alarm publishers of this account use the key."
  }
}

run "thresholds_reach_the_alarms" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures,
      aws_cloudwatch_metric_alarm.operations_alarms_function_errors,
      aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low,
      aws_cloudwatch_metric_alarm.operations_alarms_nat_failover,
      aws_cloudwatch_metric_alarm.operations_alarms_nat_no_healthy_target,
      aws_cloudwatch_metric_alarm.operations_alarms_queue_age_high,
      aws_cloudwatch_metric_alarm.operations_alarms_reconcile_not_running,
      aws_cloudwatch_metric_alarm.operations_alarms_waf_blocked_spike,
    ]
  }
  variables {
    alarm_queue_age_seconds       = 600
    alarm_github_budget_min       = 2500
    alarm_waf_blocked_requests    = 50
    reconcile_schedule_expression = "rate(2 hours)"
    runbook_base_url              = "https://github.com/acme/self-runners/blob/main/docs/runbooks.md"
    additional_github_apps        = [{ app_id = "777", private_key_ssm_parameter_name = "/acme/app-777" }]
    enable_nat_instances          = true
    nat_instance_subnet_ids       = { "eu-west-1a" = "subnet-0123456789abcdef1" }
    nat_private_route_table_ids   = { "eu-west-1a" = ["rtb-0123456789abcdef0"] }
    nat_probe_subnet_ids          = { "eu-west-1a" = "subnet-0123456789abcdef2" }
    create_vpc_endpoints          = true
    vpc_endpoint_subnet_ids       = ["subnet-0123456789abcdef0"]
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.operations_alarms_queue_age_high["linux"].threshold == 600 && aws_cloudwatch_metric_alarm.operations_alarms_waf_blocked_spike[0].threshold == 50
    error_message = "alarm_queue_age_seconds and alarm_waf_blocked_requests are the thresholds."
  }
  assert {
    condition     = join(",", sort(keys(aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low))) == "123456,777" && aws_cloudwatch_metric_alarm.operations_alarms_github_budget_low["777"].threshold == 2500
    error_message = "Every App gets a budget alarm at alarm_github_budget_min."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.operations_alarms_reconcile_not_running[0].period == 7200
    error_message = "The reconcile alarm's period follows the schedule."
  }
  assert {
    condition     = endswith(aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures[0].alarm_description, "Runbook: https://github.com/acme/self-runners/blob/main/docs/runbooks.md#fleet-failures")
    error_message = "runbook_base_url makes the link absolute."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.operations_alarms_nat_failover) == 1 && length(aws_cloudwatch_metric_alarm.operations_alarms_nat_no_healthy_target) == 1 && contains(keys(aws_cloudwatch_metric_alarm.operations_alarms_function_errors), "nat-failover-eu-west-1a")
    error_message = "With NAT instances: the two NAT alarms and the failover function's errors alarm."
  }
}

run "slo_burn_rate_alarms" {
  command = plan
  plan_options {
    target = [
      aws_cloudwatch_composite_alarm.operations_slo_dispatch_success_ticket,
      aws_cloudwatch_composite_alarm.operations_slo_time_to_runner_page,
      aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_page_long,
      aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_ticket_short,
      aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_page_long,
    ]
  }
  variables {
    slo_time_to_runner_seconds   = 240
    slo_time_to_runner_percent   = 95
    slo_dispatch_success_percent = 99.9
  }
  assert {
    condition     = abs(aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_page_long[0].threshold - 0.0144) < 1e-9 && abs(aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_ticket_short[0].threshold - 0.006) < 1e-9
    error_message = "Thresholds are factor x (1 - objective): 14.4 x 0.1 % and 6 x 0.1 %."
  }
  assert {
    condition     = abs(aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_page_long[0].threshold - 0.72) < 1e-9 && one([for q in aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_page_long[0].metric_query : q.metric[0].stat if q.id == "fast"]) == "PR(:240)"
    error_message = "The time-to-runner SLI is the percentile rank at slo_time_to_runner_seconds."
  }
  assert {
    condition     = aws_cloudwatch_composite_alarm.operations_slo_time_to_runner_page[0].alarm_name == "self-runners-slo-time-to-runner-page" && length(aws_cloudwatch_composite_alarm.operations_slo_dispatch_success_ticket) == 1
    error_message = "One composite per SLO and severity."
  }
}

run "slo_objective_too_low_for_14x_is_capped" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_page_short, aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_ticket_short]
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_page_short[0].threshold == 1 && abs(aws_cloudwatch_metric_alarm.operations_slo_time_to_runner_ticket_short[0].threshold - 0.6) < 1e-9
    error_message = "A 90 % objective cannot burn at 14.4x: the page threshold is capped at a bad ratio of 1."
  }
}

run "slo_alarms_off" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_composite_alarm.operations_slo_time_to_runner_page, aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures, aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_ticket_long]
  }
  variables {
    enable_slo_alarms = false
  }
  assert {
    condition     = length(aws_cloudwatch_composite_alarm.operations_slo_time_to_runner_page) + length(aws_cloudwatch_metric_alarm.operations_slo_dispatch_success_ticket_long) == 0 && length(aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures) == 1
    error_message = "enable_slo_alarms = false removes only the SLO alarms."
  }
}

run "dashboard_on_by_default" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_dashboard.operations_dashboard]
  }
  variables {
    slo_time_to_runner_seconds   = 240
    slo_dispatch_success_percent = 99.9
  }
  assert {
    condition     = length(aws_cloudwatch_dashboard.operations_dashboard) == 1 && aws_cloudwatch_dashboard.operations_dashboard[0].dashboard_name == "self-runners"
    error_message = "One dashboard named after the prefix is created by default."
  }
  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.operations_dashboard[0].dashboard_body).widgets) == 17 && alltrue([for w in jsondecode(aws_cloudwatch_dashboard.operations_dashboard[0].dashboard_body).widgets : w.x + w.width <= 24]) && alltrue([for w in jsondecode(aws_cloudwatch_dashboard.operations_dashboard[0].dashboard_body).widgets : w.properties.region == "eu-west-1" if w.type == "metric"])
    error_message = "The body is valid JSON: 17 widgets within the 24-column grid, every metric widget in the deployment's region."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.operations_dashboard[0].dashboard_body).widgets[1].properties.metrics[1][0].expression == "SEARCH('{\"SelfRunners/self-runners\",service,Pool} MetricName=\"TimeToRunner\" service=\"webhook\"', 'p90', 300)"
    error_message = "Time to runner per pool is a SEARCH over {service, Pool} of the deployment's namespace."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.operations_dashboard[0].dashboard_body).widgets[1].properties.annotations.horizontal[0].value == 240
    error_message = "The time-to-runner widget's SLO line is slo_time_to_runner_seconds, as a number."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.operations_dashboard[0].dashboard_body).widgets[16].properties.metrics[3][0].expression == "bad / (1 - 99.9 / 100)" && jsondecode(aws_cloudwatch_dashboard.operations_dashboard[0].dashboard_body).widgets[15].properties.metrics[0][4].stat == "PR(:240)"
    error_message = "The SLO burn widgets divide the alarms' bad ratio by the error budget of the objectives given."
  }
}

run "dashboard_off" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_dashboard.operations_dashboard, aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures]
  }
  variables {
    enable_dashboard = false
  }
  assert {
    condition     = length(aws_cloudwatch_dashboard.operations_dashboard) == 0 && length(aws_cloudwatch_metric_alarm.operations_alarms_fleet_failures) == 1
    error_message = "enable_dashboard = false removes only the dashboard."
  }
}

run "cost_alerts_off_by_default" {
  command = plan
  plan_options {
    target = [aws_budgets_budget.operations_cost_budget, aws_ce_anomaly_monitor.operations_cost_anomaly_monitor, aws_ce_cost_allocation_tag.operations_cost_cost_allocation_tag]
  }
  assert {
    condition     = length(aws_budgets_budget.operations_cost_budget) == 0 && length(aws_ce_anomaly_monitor.operations_cost_anomaly_monitor) == 0 && length(aws_ce_cost_allocation_tag.operations_cost_cost_allocation_tag) == 0
    error_message = "No budget, anomaly monitor or tag activation unless asked for."
  }
}

run "cost_alerts_on" {
  command = plan
  plan_options {
    target = [
      aws_budgets_budget.operations_cost_budget,
      aws_ce_anomaly_monitor.operations_cost_anomaly_monitor,
      aws_ce_anomaly_subscription.operations_cost_anomaly_subscription,
      aws_ce_cost_allocation_tag.operations_cost_cost_allocation_tag,
    ]
  }
  variables {
    budget_monthly_limit_usd      = 250
    enable_cost_anomaly_detection = true
    cost_anomaly_threshold_usd    = 40
    activate_cost_allocation_tags = true
  }
  assert {
    condition     = aws_budgets_budget.operations_cost_budget[0].limit_amount == "250" && aws_budgets_budget.operations_cost_budget[0].name == "self-runners-monthly" && join(",", one(aws_budgets_budget.operations_cost_budget[0].cost_filter).values) == "user:self-runners:prefix$self-runners"
    error_message = "The monthly budget filters on the kit's cost tag."
  }
  assert {
    condition     = join(",", sort([for n in aws_budgets_budget.operations_cost_budget[0].notification : "${n.notification_type}:${n.threshold}:${join("", n.subscriber_sns_topic_arns)}"])) == "ACTUAL:80:arn:aws:sns:eu-west-1:123456789012:self-runners-alarms,FORECASTED:100:arn:aws:sns:eu-west-1:123456789012:self-runners-alarms"
    error_message = "The budget alerts the topic at 100 % forecast and 80 % actual."
  }
  assert {
    condition     = join(",", jsondecode(aws_ce_anomaly_monitor.operations_cost_anomaly_monitor[0].monitor_specification).Tags.Values) == "self-runners" && one(aws_ce_anomaly_subscription.operations_cost_anomaly_subscription[0].subscriber).address == "arn:aws:sns:eu-west-1:123456789012:self-runners-alarms"
    error_message = "The anomaly monitor watches the kit's tag and its subscription sends to the topic."
  }
  assert {
    condition     = join(",", sort(keys(aws_ce_cost_allocation_tag.operations_cost_cost_allocation_tag))) == "self-runners:pool,self-runners:prefix"
    error_message = "Both of the kit's tag keys are activated."
  }
}

run "fails_when_alarm_topic_arn_is_not_a_topic" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    alarm_topic_arn = "arn:aws:sqs:eu-west-1:123456789012:queue"
  }
  expect_failures = [var.alarm_topic_arn]
}

run "fails_when_runbook_base_url_is_not_https" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    runbook_base_url = "http://wiki.example.com/runbooks"
  }
  expect_failures = [var.runbook_base_url]
}

run "fails_when_slo_objective_is_100" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    slo_dispatch_success_percent = 100
  }
  expect_failures = [var.slo_dispatch_success_percent]
}

run "fails_when_queue_age_is_too_short" {
  command = plan
  plan_options {
    mode = refresh-only
  }
  variables {
    alarm_queue_age_seconds = 30
  }
  expect_failures = [var.alarm_queue_age_seconds]
}
